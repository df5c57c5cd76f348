"""What ``clarity``'s exit status means (README, "Command line"); the numbers are sysexits.h's.

0 done; 1 the daemon refused (its error code printed); 2 usage (argparse's own); the rest below.
"""

REFUSED = 1
USAGE = 2
NOT_RUNNING = 3  # `clarity status` only, as `systemctl status` / LSB: the daemon is not running
DATAERR = 65  # the command ran to the end, but at least one file failed (each failure is printed)
UNAVAILABLE = 69  # no daemon answers on the socket
CONFIG = 78  # the configuration, or the socket's place, is unsafe or wrong
