"""cheriot-gdbserver: an emulated CHERIoT microcontroller with a GDB stub."""
