"""Local fakes of the platforms' APIs that the channels' official SDKs are pointed at in tests."""
