/*
 * semihost.c — ARM semihosting, as QEMU implements it (bkpt 0xab).
 *
 * What the emulated board takes from its host: 32 fresh random bytes per
 * boot (from a host file, /dev/urandom by default), the host's clock, and
 * a way to end the run with an exit status. A real board has none of
 * this: see README.md (a hardware RNG, an RTC, a reset).
 */
#include <stdint.h>
#include <string.h>
#include "board.h"

#define SYS_OPEN          0x01
#define SYS_CLOSE         0x02
#define SYS_READ          0x06
#define SYS_TIME          0x11
#define SYS_GET_CMDLINE   0x15
#define SYS_EXIT_EXTENDED 0x20
#define ADP_Stopped_ApplicationExit 0x20026

static int semihost(int op, void *arg)
{
	register int r0 __asm__("r0") = op;
	register void *r1 __asm__("r1") = arg;

	__asm__ volatile ("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
	return r0;
}

/* The word after "entropy=" on the semihosting command line. */
static void entropy_path(char *path, size_t cap)
{
	static char cmd[160];
	struct { char *buf; int len; } a = { cmd, sizeof cmd - 1 };
	const char *p, *e;
	size_t n;

	strcpy(path, "/dev/urandom");
	if (semihost(SYS_GET_CMDLINE, &a) != 0 || a.len < 0)
		return;
	cmd[a.len] = '\0';
	for (p = cmd; (p = strstr(p, "entropy=")) != NULL; p++) {
		if (p != cmd && p[-1] != ' ')
			continue;
		p += 8;
		for (e = p; *e != '\0' && *e != ' '; e++)
			;
		n = (size_t)(e - p);
		if (n > 0 && n < cap) {
			memcpy(path, p, n);
			path[n] = '\0';
		}
		return;
	}
}

int board_host_entropy(uint8_t *buf, size_t len)
{
	char path[128];
	struct { const char *name; int mode; int len; } o;
	struct { int fd; void *buf; int len; } r;
	int fd, left;

	entropy_path(path, sizeof path);
	o.name = path;
	o.mode = 1;                     /* "rb" */
	o.len = (int)strlen(path);
	fd = semihost(SYS_OPEN, &o);
	if (fd < 0)
		return -1;
	r.fd = fd;
	r.buf = buf;
	r.len = (int)len;
	left = semihost(SYS_READ, &r);  /* bytes NOT read */
	semihost(SYS_CLOSE, &fd);
	return left == 0 ? 0 : -1;
}

uint64_t board_host_time(void)
{
	int t = semihost(SYS_TIME, NULL);

	return t > 0 ? (uint64_t)(uint32_t)t : 0;
}

void board_exit(int status)
{
	struct { int reason; int code; } a = { ADP_Stopped_ApplicationExit, status };

	for (;;)
		semihost(SYS_EXIT_EXTENDED, &a);
}
