"""Wire-level emulators of each supported device, for tests and `kiosk run --sim`."""
