/* cmdtime: times a command line N times, the same way for every tool that
 * bench/probe.sh compares. Built static on the host (cc -O2 -static) and
 * copied into the lab guest, so no shell, awk or loader of its own runs
 * inside a measurement.
 *
 *   cmdtime N PROGRAM [ARG...]
 *
 * Each run: CLOCK_MONOTONIC before fork, then execv of PROGRAM (a path, not
 * searched in PATH) with its standard output and error on /dev/null, wait4,
 * CLOCK_MONOTONIC again. Prints one line:
 *
 *   <best wall ms> <best cpu ms> <first wall ms> <fewest minor faults> <exit status>
 *
 * wall in milliseconds with microsecond precision; cpu = the child's
 * ru_utime + ru_stime (microseconds, as the kernel accounts them), the best
 * of the N runs; minor page faults (ru_minflt) the fewest of the N runs;
 * exit status the last non-zero one (0 when every run succeeded; 128 + n
 * for a run killed by signal n). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

int main(int argc, char** argv) {
  char* end = NULL;
  long n = argc > 2 ? strtol(argv[1], &end, 10) : 0;
  if (argc < 3 || *end != '\0' || n < 1 || n > 1000) {
    fprintf(stderr, "usage: cmdtime N PROGRAM [ARG...]   (N runs, 1..1000)\n");
    return 2;
  }
  int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (devnull < 0) {
    perror("cmdtime: /dev/null");
    return 2;
  }
  double best_wall = 0, best_cpu = 0, first_wall = 0;
  long fewest_faults = 0;
  int status_out = 0;
  for (long i = 0; i < n; ++i) {
    double a = now_ms();
    pid_t pid = fork();
    if (pid < 0) {
      perror("cmdtime: fork");
      return 2;
    }
    if (pid == 0) {
      if (dup2(devnull, 1) < 0 || dup2(devnull, 2) < 0) _exit(126);
      execv(argv[2], argv + 2);
      _exit(127);  /* the shell's "not found"; reported in the status field */
    }
    int status = 0;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) != pid) {
      perror("cmdtime: wait4");
      return 2;
    }
    double wall = now_ms() - a;
    double cpu = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
                 (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
    if (i == 0 || wall < best_wall) best_wall = wall;
    if (i == 0 || cpu < best_cpu) best_cpu = cpu;
    if (i == 0 || ru.ru_minflt < fewest_faults) fewest_faults = ru.ru_minflt;
    if (i == 0) first_wall = wall;
    if (WIFEXITED(status) && WEXITSTATUS(status) != 0) status_out = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) status_out = 128 + WTERMSIG(status);
  }
  printf("%.3f %.3f %.3f %ld %d\n", best_wall, best_cpu, first_wall, fewest_faults, status_out);
  return 0;
}
