/*
 * pause: the process that holds a pod's namespaces open. It does nothing but wait, reap the
 * zombies it inherits as PID 1 of the pod, and exit cleanly on SIGINT or SIGTERM.
 * Built static (gcc -static) so the image needs no libc.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef VERSION
#define VERSION "unknown"
#endif

static void on_term(int sig) {
  (void)sig;
  _exit(0);
}

static void on_child(int sig) {
  (void)sig;
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
}

int main(int argc, char **argv) {
  if (argc > 1 && (strcmp(argv[1], "-v") == 0 || strcmp(argv[1], "--version") == 0)) {
    printf("pause %s (kdev)\n", VERSION);
    return 0;
  }
  if (getpid() != 1) {
    fprintf(stderr, "pause: warning: not running as PID 1\n");
  }

  struct sigaction term;
  memset(&term, 0, sizeof term);
  term.sa_handler = on_term;
  sigaction(SIGINT, &term, NULL);
  sigaction(SIGTERM, &term, NULL);

  struct sigaction child;
  memset(&child, 0, sizeof child);
  child.sa_handler = on_child;
  child.sa_flags = SA_NOCLDSTOP;
  sigaction(SIGCHLD, &child, NULL);

  for (;;) {
    pause();
  }
}
