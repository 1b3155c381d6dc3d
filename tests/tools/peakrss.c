/*
 * peakrss — run a command and report its own peak resident set size.
 *
 *   peakrss FILE COMMAND [ARG...]
 *
 * Writes the command's VmHWM in kB to FILE and exits with the command's
 * status (128 + signal if it was killed). getrusage's ru_maxrss cannot be
 * used: Linux folds the RSS of the forked parent, before exec, into the
 * child's figure (a /usr/bin/time or Python parent adds 0.4 to 14 MB).
 * Here the command is traced only to stop it at exit, while its memory is
 * still mapped, and VmHWM is read from /proc then.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static long vm_hwm(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL)
		if (strncmp(line, "VmHWM:", 6) == 0)
			kb = strtol(line + 6, NULL, 10);
	fclose(f);
	return kb;
}

int main(int argc, char **argv)
{
	long kb = -1;
	int st, sig;
	pid_t pid;
	FILE *out;

	if (argc < 3) {
		fprintf(stderr, "usage: peakrss FILE COMMAND [ARG...]\n");
		return 64;
	}
	pid = fork();
	if (pid < 0) {
		perror("peakrss: fork");
		return 71;
	}
	if (pid == 0) {
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) != 0) {
			perror("peakrss: ptrace");
			_exit(71);
		}
		raise(SIGSTOP);
		execvp(argv[2], argv + 2);
		perror("peakrss: exec");
		_exit(127);
	}
	if (waitpid(pid, &st, 0) != pid || !WIFSTOPPED(st)) {
		fprintf(stderr, "peakrss: the child did not stop\n");
		return 71;
	}
	if (ptrace(PTRACE_SETOPTIONS, pid, NULL,
		(void *)(PTRACE_O_TRACEEXIT | PTRACE_O_TRACEEXEC)) != 0) {
		perror("peakrss: PTRACE_SETOPTIONS");
		return 71;
	}
	ptrace(PTRACE_CONT, pid, NULL, NULL);
	for (;;) {
		if (waitpid(pid, &st, 0) != pid) {
			perror("peakrss: waitpid");
			return 71;
		}
		if (WIFEXITED(st) || WIFSIGNALED(st))
			break;
		sig = 0;
		if (st >> 8 == (SIGTRAP | (PTRACE_EVENT_EXIT << 8)))
			kb = vm_hwm(pid);
		else if (st >> 8 != (SIGTRAP | (PTRACE_EVENT_EXEC << 8)))
			sig = WSTOPSIG(st);     /* an ordinary signal: deliver it */
		ptrace(PTRACE_CONT, pid, NULL, (void *)(long)sig);
	}
	out = fopen(argv[1], "w");
	if (out == NULL || kb < 0) {
		fprintf(stderr, "peakrss: no VmHWM for %s\n", argv[2]);
		return 71;
	}
	fprintf(out, "%ld\n", kb);
	fclose(out);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
