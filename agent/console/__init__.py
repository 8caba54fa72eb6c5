"""The recovery console: a menu on the serial port, or over SSH, that works
when the web admin and the database do not."""
