"""Device I/O: serial MRZ readers, fingerprint scanners (UART and USB), cameras.

Drivers turn device traffic into typed events; they never parse MRZ or judge quality.
`drivers.sim` holds wire-level emulators of each device.
"""


class DeviceError(Exception):
    """Base class of device errors; the message says what a technician can do."""
