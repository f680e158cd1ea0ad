/*
 * Calls a function FreeBSD 14.0's libc lacks: inotify_init1 came with
 * FreeBSD 15.0 (version FBSD_1.8). tests/freebsd/run.sh links this for
 * FreeBSD 14.0 and requires the link or check_artifact.py to refuse it.
 */
int inotify_init1(int flags);

int too_new(void) { return inotify_init1(0); }

int main(void) { return too_new() < 0; }
