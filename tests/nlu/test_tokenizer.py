"""The bot's tokenizer segments Thai, Lao, Khmer and Burmese into words (run in the bot's Python)."""

import json
import os
import subprocess

import pytest

from core.settings import ROOT
from launcher.envsetup import bot_python

SENTENCES = {
    "th": "นายจ้างยึดหนังสือเดินทางของฉัน",
    "lo": "ເຖົ້າແກ່ຍຶດໜັງສືຜ່ານແດນຂອງຂ້ອຍ",
    "km": "ថៅកែយកលិខិតឆ្លងដែនរបស់ខ្ញុំ",
    "my": "အလုပ်ရှင်က ပတ်စပို့ သိမ်းထားတယ်",
    "mixed": "boss ยึด passport ของฉัน 3 เดือนแล้ว 🙁",
}


@pytest.fixture(scope="module")
def words() -> dict[str, list[str]]:
    probe = (
        "import json, sys; from nlu.tokenizer import MultiScriptTokenizer as T; "
        "t = T(T.get_default_config()); s = json.loads(sys.stdin.read()); "
        "print(json.dumps({k: t.words(v) for k, v in s.items()}))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run(
        [str(bot_python()), "-c", probe], input=json.dumps(SENTENCES), capture_output=True, text=True, env=env, check=True
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("language", ["th", "lo", "km", "my"])
def test_scripts_without_spaces_are_cut_into_several_words(words, language):
    segments = words[language]
    assert len(segments) >= 4, segments
    assert all(segment in SENTENCES[language] for segment in segments)
    assert "".join(segments) == SENTENCES[language].replace(" ", "")


def test_mixed_scripts_keep_latin_words_whole(words):
    assert "boss" in words["mixed"] and "passport" in words["mixed"] and "ยึด" in words["mixed"]
