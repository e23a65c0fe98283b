/*
 * portico-shim: the per-container monitor of Portico's runc runtime (the role of CRI-O's conmon or
 * containerd-shim), and the pod sandbox's pause process.
 *
 * Why C and not a script: the monitor must be the container's parent to learn its exit status
 * (it becomes a child subreaper with prctl(PR_SET_CHILD_SUBREAPER) before `runc create`, so the
 * container's init is re-parented to it when runc exits), must receive the pty master over a unix
 * socket for tty containers (SCM_RIGHTS), and must stay small because one runs per container:
 * about 100 KiB of private memory, against ~2.5 MiB for a perl loop and ~40 MiB for a Node shim.
 *
 *   portico-shim pause
 *       PID 1 of a pod sandbox: holds its namespaces, reaps zombies, exits 0 on SIGTERM/SIGINT.
 *
 *   portico-shim run --runc PATH --root DIR --id ID --bundle DIR --log FILE --exit FILE
 *                    [--tty] [--stdin FIFO] [--ctl FIFO] [--oom FILE] [--log-max BYTES]
 *       Runs `runc create` for the bundle with the container's stdout/stderr on pipes (or a pty),
 *       reports "ok <pid>" or "error <message>" on fd 3 and closes it, then copies output into the
 *       CRI log file (`<RFC3339Nano> stdout|stderr F|P <content>`), feeds stdin from the FIFO,
 *       obeys `resize <rows> <cols>` and `close-stdin` lines on the ctl FIFO, reaps the container
 *       and writes its exit status as JSON to the exit file (atomically, after the output is
 *       drained: an exit file means the log is complete). SIGTERM/SIGINT to the shim kill the
 *       container and remove it from runc (`runc delete --force`) first, so a container never
 *       outlives its monitor.
 *
 *   portico-shim exec SOCKET PIDFILE ROWS COLS -- RUNC-ARGV...
 *       `runc exec -d -t --console-socket SOCKET --pid-file PIDFILE …` with a terminal: runc (since
 *       1.1) refuses a foreground `exec -t` without a terminal of its own, so the shim receives the
 *       pty master, relays fd 0 → terminal → fd 1, applies `ROWS COLS` lines read on fd 3 as
 *       window sizes, reaps the process (subreaper) and exits with its status (128+signal).
 *       Exit 255 when runc fails (its --log file says why).
 *
 *   portico-shim setxattr PATH NAME VALUE
 *       lsetxattr(2), for image import (`trusted.overlay.opaque`); Debian has no setfattr by default.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define MAX_LINE 16384

static volatile sig_atomic_t got_term = 0;
static int sigpipe_fds[2] = {-1, -1};

static void on_signal(int sig) {
  int saved = errno;
  if (sig == SIGTERM || sig == SIGINT) got_term = 1;
  if (sigpipe_fds[1] >= 0) {
    char c = (char)sig;
    ssize_t r = write(sigpipe_fds[1], &c, 1);
    (void)r;
  }
  errno = saved;
}

/* ---- pause ---------------------------------------------------------------------------------- */

static void pause_reap(int sig) {
  (void)sig;
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
}

static void pause_exit(int sig) {
  (void)sig;
  _exit(0);
}

__attribute__((noreturn)) static void run_pause(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = pause_exit;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  sa.sa_handler = pause_reap;
  sa.sa_flags = SA_NOCLDSTOP;
  sigaction(SIGCHLD, &sa, NULL);
  for (;;) pause();
}

/* ---- helpers -------------------------------------------------------------------------------- */

static int sync_fd = 3;

static void report(const char *fmt, ...) {
  char buf[4096];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if (n >= (int)sizeof buf) n = sizeof buf - 1;
  if (sync_fd >= 0) {
    ssize_t r = write(sync_fd, buf, (size_t)n);
    (void)r;
    close(sync_fd);
    sync_fd = -1;
  }
}

static void now_rfc3339(char *out, size_t len) {
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  size_t n = strftime(out, len, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(out + n, len - n, ".%09ldZ", ts.tv_nsec);
}

static int write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* Last "msg" of runc's JSON log, for error reports. */
static void runc_error(const char *logpath, char *out, size_t len) {
  snprintf(out, len, "runc create failed");
  int fd = open(logpath, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  static char buf[65536];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return;
  buf[n] = 0;
  char *last = NULL, *p = buf;
  while ((p = strstr(p, "\"msg\":\"")) != NULL) {
    last = p + 7;
    p += 7;
  }
  if (!last) return;
  size_t i = 0;
  for (char *q = last; *q && i + 1 < len; q++) {
    if (*q == '\\' && q[1]) {
      q++;
      out[i++] = *q == 'n' ? ' ' : *q;
      continue;
    }
    if (*q == '"') break;
    out[i++] = *q;
  }
  out[i] = 0;
}

/* ---- log writer ----------------------------------------------------------------------------- */

struct logfile {
  const char *path;
  int fd;
  long long max;
  long long size;
};

static void log_open(struct logfile *lf) {
  lf->fd = open(lf->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  struct stat st;
  lf->size = (lf->fd >= 0 && fstat(lf->fd, &st) == 0) ? st.st_size : 0;
}

static void log_entry(struct logfile *lf, const char *stream, int partial, const char *p, size_t n) {
  static char line[MAX_LINE + 128];
  char ts[64];
  if (lf->fd < 0) return;
  now_rfc3339(ts, sizeof ts);
  int h = snprintf(line, sizeof line, "%s %s %c ", ts, stream, partial ? 'P' : 'F');
  if (n > MAX_LINE) n = MAX_LINE;
  memcpy(line + h, p, n);
  line[h + n] = '\n';
  size_t total = (size_t)h + n + 1;
  if (write_all(lf->fd, line, total) == 0) lf->size += (long long)total;
  if (lf->max > 0 && lf->size >= lf->max) {
    /* Rotate: keep one previous file (`<log>.1`), as kubelet keeps rotated files beside. */
    char old[4096];
    snprintf(old, sizeof old, "%s.1", lf->path);
    close(lf->fd);
    rename(lf->path, old);
    log_open(lf);
  }
}

struct stream {
  const char *name;
  int fd;
  char buf[MAX_LINE];
  size_t len;
};

/* Reads what is available; writes every complete line; splits lines longer than the buffer. */
static int stream_read(struct stream *s, struct logfile *lf) {
  ssize_t n = read(s->fd, s->buf + s->len, sizeof s->buf - s->len);
  if (n < 0) return (errno == EINTR || errno == EAGAIN) ? 1 : 0;
  if (n == 0) return 0;
  s->len += (size_t)n;
  size_t start = 0;
  for (size_t i = 0; i < s->len; i++) {
    if (s->buf[i] == '\n') {
      log_entry(lf, s->name, 0, s->buf + start, i - start);
      start = i + 1;
    }
  }
  if (start == 0 && s->len == sizeof s->buf) {
    log_entry(lf, s->name, 1, s->buf, s->len);
    s->len = 0;
  } else if (start > 0) {
    memmove(s->buf, s->buf + start, s->len - start);
    s->len -= start;
  }
  return 1;
}

static void stream_flush(struct stream *s, struct logfile *lf) {
  if (s->len > 0) log_entry(lf, s->name, 0, s->buf, s->len);
  s->len = 0;
}

/* ---- run ------------------------------------------------------------------------------------ */

struct opts {
  const char *runc, *root, *id, *bundle, *log, *exitfile, *stdin_fifo, *ctl_fifo, *oom;
  int tty;
  long long log_max;
};

static int recv_fd(int sock) {
  char data[256];
  struct iovec iov = {.iov_base = data, .iov_len = sizeof data};
  char ctrl[CMSG_SPACE(sizeof(int))];
  struct msghdr msg = {0};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = ctrl;
  msg.msg_controllen = sizeof ctrl;
  if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) < 0) return -1;
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  if (!c || c->cmsg_type != SCM_RIGHTS) return -1;
  int fd;
  memcpy(&fd, CMSG_DATA(c), sizeof fd);
  return fd;
}

static long read_pid(const char *path) {
  char buf[32] = {0};
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return -1;
  return strtol(buf, NULL, 10);
}

static int oom_killed(const char *path) {
  if (!path) return 0;
  char buf[4096];
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = 0;
  char *p = strstr(buf, "oom_kill ");
  return p && strtol(p + 9, NULL, 10) > 0;
}

static void write_exit(const char *path, int status, int oom) {
  char tmp[4096], ts[64], json[512];
  int code, sig = 0;
  if (WIFEXITED(status)) {
    code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    sig = WTERMSIG(status);
    code = 128 + sig;
  } else {
    code = 255;
  }
  now_rfc3339(ts, sizeof ts);
  int n = snprintf(json, sizeof json,
                   "{\"exitCode\":%d,\"signal\":%d,\"oomKilled\":%s,\"finishedAt\":\"%s\"}\n", code,
                   sig, oom ? "true" : "false", ts);
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;
  write_all(fd, json, (size_t)n);
  fsync(fd);
  close(fd);
  rename(tmp, path);
}

static pid_t spawn(const struct opts *o, char *const argv[], int in, int out, int err) {
  pid_t pid = fork();
  if (pid != 0) return pid;
  if (in >= 0) dup2(in, 0);
  if (out >= 0) dup2(out, 1);
  if (err >= 0) dup2(err, 2);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  signal(SIGPIPE, SIG_DFL);
  signal(SIGHUP, SIG_DFL);
  execvp(o->runc, argv);
  _exit(127);
}

static void runc_delete(const struct opts *o) {
  char *argv[] = {(char *)o->runc, "--root", (char *)o->root, "delete", "--force", (char *)o->id, NULL};
  int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  pid_t p = spawn(o, argv, devnull, devnull, devnull);
  if (devnull >= 0) close(devnull);
  if (p > 0) waitpid(p, NULL, 0);
}

static int run(const struct opts *o) {
  char pidfile[4096], runclog[4096];
  /* Relative to the bundle (our cwd): a unix socket path is limited to 108 bytes. */
  const char *sockpath = "console.sock";
  if (chdir(o->bundle) < 0) {
    report("error cannot enter bundle %s: %s\n", o->bundle, strerror(errno));
    return 1;
  }
  prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  if (pipe2(sigpipe_fds, O_CLOEXEC | O_NONBLOCK) < 0) return 1;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGCHLD, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
  signal(SIGHUP, SIG_IGN);

  snprintf(pidfile, sizeof pidfile, "%s/init.pid", o->bundle);
  snprintf(runclog, sizeof runclog, "%s/runc.log", o->bundle);
  unlink(pidfile);

  /* The container's stdin: a pipe the shim feeds from the FIFO, or /dev/null. */
  int in_r = -1, in_w = -1, fifo = -1;
  if (o->stdin_fifo) {
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) return 1;
    in_r = p[0];
    in_w = p[1];
    /* O_RDWR: opening never blocks, and the FIFO never reports EOF between attach sessions. */
    fifo = open(o->stdin_fifo, O_RDWR | O_NONBLOCK | O_CLOEXEC);
  } else {
    in_r = open("/dev/null", O_RDONLY | O_CLOEXEC);
  }
  int ctl = o->ctl_fifo ? open(o->ctl_fifo, O_RDWR | O_NONBLOCK | O_CLOEXEC) : -1;

  int out_r = -1, out_w = -1, err_r = -1, err_w = -1, sock = -1, master = -1;
  if (o->tty) {
    unlink(sockpath);
    sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    memcpy(addr.sun_path, sockpath, strlen(sockpath) + 1);
    if (sock < 0 || bind(sock, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(sock, 1) < 0) {
      report("error cannot listen on console socket %s: %s\n", sockpath, strerror(errno));
      return 1;
    }
  } else {
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) return 1;
    out_r = p[0];
    out_w = p[1];
    if (pipe2(p, O_CLOEXEC) < 0) return 1;
    err_r = p[0];
    err_w = p[1];
  }

  char *argv[16];
  int a = 0;
  argv[a++] = (char *)o->runc;
  argv[a++] = "--root";
  argv[a++] = (char *)o->root;
  argv[a++] = "--log";
  argv[a++] = runclog;
  argv[a++] = "--log-format";
  argv[a++] = "json";
  argv[a++] = "create";
  argv[a++] = "--bundle";
  argv[a++] = (char *)o->bundle;
  argv[a++] = "--pid-file";
  argv[a++] = pidfile;
  if (o->tty) {
    argv[a++] = "--console-socket";
    argv[a++] = (char *)sockpath;
  }
  argv[a++] = (char *)o->id;
  argv[a] = NULL;
  pid_t runc = spawn(o, argv, in_r, o->tty ? -1 : out_w, o->tty ? -1 : err_w);
  if (runc < 0) {
    report("error fork: %s\n", strerror(errno));
    return 1;
  }
  if (out_w >= 0) close(out_w);
  if (err_w >= 0) close(err_w);
  if (in_r >= 0) close(in_r);

  int status = 0;
  if (o->tty) {
    /* runc connects and sends the pty master during create; give up if it exits first. */
    for (;;) {
      struct pollfd p = {.fd = sock, .events = POLLIN};
      int r = poll(&p, 1, 200);
      if (r > 0) {
        int c = accept4(sock, NULL, NULL, SOCK_CLOEXEC);
        if (c >= 0) {
          master = recv_fd(c);
          close(c);
        }
        break;
      }
      if (waitpid(runc, &status, WNOHANG) == runc) {
        runc = -1;
        break;
      }
    }
    close(sock);
    unlink(sockpath);
  }
  if (runc > 0) {
    while (waitpid(runc, &status, 0) < 0 && errno == EINTR) {
    }
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    char msg[2048];
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
      report("error cannot execute %s\n", o->runc);
      return 1;
    }
    runc_error(runclog, msg, sizeof msg);
    report("error %s\n", msg);
    runc_delete(o);
    return 1;
  }
  long pid = read_pid(pidfile);
  if (pid <= 0) {
    report("error runc wrote no pid file\n");
    return 1;
  }
  report("ok %ld\n", pid);

  struct logfile lf = {.path = o->log, .max = o->log_max};
  log_open(&lf);
  static struct stream out, err;
  out.name = "stdout";
  out.fd = o->tty ? master : out_r;
  err.name = "stderr";
  err.fd = o->tty ? -1 : err_r;
  int out_open = out.fd >= 0, err_open = err.fd >= 0;
  int exited = 0, exit_status = 0;
  struct timespec deadline = {0};
  int killed = 0;

  for (;;) {
    if (got_term && !killed && !exited) {
      kill((pid_t)pid, SIGKILL);
      killed = 1;
    }
    if (exited && !out_open && !err_open) break;
    struct pollfd pf[5];
    int n = 0, iout = -1, ierr = -1, ififo = -1, ictl = -1;
    pf[n].fd = sigpipe_fds[0];
    pf[n++].events = POLLIN;
    if (out_open) {
      iout = n;
      pf[n].fd = out.fd;
      pf[n++].events = POLLIN;
    }
    if (err_open) {
      ierr = n;
      pf[n].fd = err.fd;
      pf[n++].events = POLLIN;
    }
    if (fifo >= 0 && (in_w >= 0 || master >= 0)) {
      ififo = n;
      pf[n].fd = fifo;
      pf[n++].events = POLLIN;
    }
    if (ctl >= 0) {
      ictl = n;
      pf[n].fd = ctl;
      pf[n++].events = POLLIN;
    }
    int timeout = -1;
    if (exited) {
      /* The init died; other holders of the pipes get 2 s more to finish writing. */
      struct timespec now;
      clock_gettime(CLOCK_MONOTONIC, &now);
      long ms = (deadline.tv_sec - now.tv_sec) * 1000 + (deadline.tv_nsec - now.tv_nsec) / 1000000;
      if (ms <= 0) break;
      timeout = (int)ms;
    }
    int r = poll(pf, (nfds_t)n, timeout);
    if (r < 0 && errno != EINTR) break;
    if (r <= 0) continue;
    if (pf[0].revents) {
      char drain[64];
      while (read(sigpipe_fds[0], drain, sizeof drain) > 0) {
      }
      int st;
      pid_t w;
      while ((w = waitpid(-1, &st, WNOHANG)) > 0) {
        if (w == (pid_t)pid && !exited) {
          exited = 1;
          exit_status = st;
          clock_gettime(CLOCK_MONOTONIC, &deadline);
          deadline.tv_sec += 2;
        }
      }
    }
    if (iout >= 0 && pf[iout].revents) {
      if (!stream_read(&out, &lf)) {
        out_open = 0; /* EIO on a pty master once the last slave closes: same as EOF. */
      }
    }
    if (ierr >= 0 && pf[ierr].revents) {
      if (!stream_read(&err, &lf)) err_open = 0;
    }
    if (ififo >= 0 && pf[ififo].revents) {
      char buf[8192];
      ssize_t k = read(fifo, buf, sizeof buf);
      if (k > 0) {
        int target = o->tty ? master : in_w;
        if (target >= 0 && write_all(target, buf, (size_t)k) < 0 && target == in_w) {
          close(in_w);
          in_w = -1;
        }
      }
    }
    if (ictl >= 0 && pf[ictl].revents) {
      char buf[512];
      ssize_t k = read(ctl, buf, sizeof buf - 1);
      if (k > 0) {
        buf[k] = 0;
        for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
          unsigned rows, cols;
          if (sscanf(line, "resize %u %u", &rows, &cols) == 2 && master >= 0) {
            struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
            ioctl(master, TIOCSWINSZ, &ws);
          } else if (strcmp(line, "close-stdin") == 0) {
            if (in_w >= 0) close(in_w);
            in_w = -1;
            if (o->tty && master >= 0) {
              char eot = 4; /* ^D: end of input on a terminal */
              write_all(master, &eot, 1);
            }
          }
        }
      }
    }
  }
  stream_flush(&out, &lf);
  stream_flush(&err, &lf);
  if (!exited) {
    /* Output closed first: wait for the init itself. */
    int st;
    pid_t w;
    while ((w = waitpid(-1, &st, 0)) > 0 || errno == EINTR) {
      if (w == (pid_t)pid) {
        exit_status = st;
        break;
      }
    }
  }
  if (lf.fd >= 0) {
    fsync(lf.fd);
    close(lf.fd);
  }
  if (got_term) runc_delete(o);
  write_exit(o->exitfile, exit_status, oom_killed(o->oom));
  return 0;
}

/* ---- exec with a terminal ------------------------------------------------------------------- */

static int run_exec(const char *sockpath, const char *pidfile, int rows, int cols, char **argv) {
  prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  if (pipe2(sigpipe_fds, O_CLOEXEC | O_NONBLOCK) < 0) return 255;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGCHLD, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
  unlink(sockpath);
  int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(sockpath) >= sizeof addr.sun_path) return 255;
  memcpy(addr.sun_path, sockpath, strlen(sockpath) + 1);
  if (sock < 0 || bind(sock, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(sock, 1) < 0) {
    fprintf(stderr, "cannot listen on %s: %s\n", sockpath, strerror(errno));
    return 255;
  }
  int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  struct opts o = {.runc = argv[0]};
  pid_t runc = spawn(&o, argv, devnull, devnull, 2);
  int status = 0, master = -1;
  for (;;) {
    struct pollfd p = {.fd = sock, .events = POLLIN};
    if (poll(&p, 1, 200) > 0) {
      int c = accept4(sock, NULL, NULL, SOCK_CLOEXEC);
      if (c >= 0) {
        master = recv_fd(c);
        close(c);
      }
      break;
    }
    if (waitpid(runc, &status, WNOHANG) == runc) {
      runc = -1;
      break;
    }
  }
  close(sock);
  unlink(sockpath);
  if (master >= 0 && rows > 0 && cols > 0) {
    struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
    ioctl(master, TIOCSWINSZ, &ws);
  }
  if (runc > 0) {
    while (waitpid(runc, &status, 0) < 0 && errno == EINTR) {
    }
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || master < 0) return 255;
  long pid = read_pid(pidfile);
  if (pid <= 0) return 255;
  int in_open = 1, ctl_open = fcntl(3, F_GETFD) >= 0, exited = 0, exit_status = 0;
  struct timespec deadline = {0};
  char buf[16384];
  for (;;) {
    if (got_term && !exited) kill((pid_t)pid, SIGKILL);
    struct pollfd pf[4];
    int n = 0, im = -1, ii = -1, ic = -1;
    pf[n].fd = sigpipe_fds[0];
    pf[n++].events = POLLIN;
    im = n;
    pf[n].fd = master;
    pf[n++].events = POLLIN;
    if (in_open && !exited) {
      ii = n;
      pf[n].fd = 0;
      pf[n++].events = POLLIN;
    }
    if (ctl_open) {
      ic = n;
      pf[n].fd = 3;
      pf[n++].events = POLLIN;
    }
    int timeout = -1;
    if (exited) {
      struct timespec now;
      clock_gettime(CLOCK_MONOTONIC, &now);
      long ms = (deadline.tv_sec - now.tv_sec) * 1000 + (deadline.tv_nsec - now.tv_nsec) / 1000000;
      if (ms <= 0) break;
      timeout = (int)ms;
    }
    int r = poll(pf, (nfds_t)n, timeout);
    if (r < 0 && errno != EINTR) break;
    if (r <= 0) continue;
    if (pf[0].revents) {
      char drain[64];
      while (read(sigpipe_fds[0], drain, sizeof drain) > 0) {
      }
      int st;
      pid_t w;
      while ((w = waitpid(-1, &st, WNOHANG)) > 0) {
        if (w == (pid_t)pid && !exited) {
          exited = 1;
          exit_status = st;
          clock_gettime(CLOCK_MONOTONIC, &deadline);
          deadline.tv_sec += 1;
        }
      }
    }
    if (pf[im].revents) {
      ssize_t k = read(master, buf, sizeof buf);
      if (k <= 0) {
        if (exited) break;
        /* every slave closed (EIO) before the exit was seen: wait for the exit only */
        int st;
        while (waitpid((pid_t)pid, &st, 0) < 0 && errno == EINTR) {
        }
        exit_status = st;
        exited = 1;
        break;
      }
      if (write_all(1, buf, (size_t)k) < 0) kill((pid_t)pid, SIGKILL);
    }
    if (ii >= 0 && pf[ii].revents) {
      ssize_t k = read(0, buf, sizeof buf);
      if (k <= 0) {
        in_open = 0;
        char eot = 4; /* end of input on a terminal */
        write_all(master, &eot, 1);
      } else {
        write_all(master, buf, (size_t)k);
      }
    }
    if (ic >= 0 && pf[ic].revents) {
      char line[128];
      ssize_t k = read(3, line, sizeof line - 1);
      if (k <= 0) {
        ctl_open = 0;
      } else {
        line[k] = 0;
        unsigned rr, cc;
        for (char *l = strtok(line, "\n"); l; l = strtok(NULL, "\n")) {
          if (sscanf(l, "%u %u", &rr, &cc) == 2) {
            struct winsize ws = {.ws_row = (unsigned short)rr, .ws_col = (unsigned short)cc};
            ioctl(master, TIOCSWINSZ, &ws);
          }
        }
      }
    }
  }
  if (WIFEXITED(exit_status)) return WEXITSTATUS(exit_status);
  if (WIFSIGNALED(exit_status)) return 128 + WTERMSIG(exit_status);
  return 255;
}

int main(int argc, char **argv) {
  if (argc >= 2 && strcmp(argv[1], "pause") == 0) run_pause();
  if (argc >= 8 && strcmp(argv[1], "exec") == 0 && strcmp(argv[6], "--") == 0) {
    return run_exec(argv[2], argv[3], atoi(argv[4]), atoi(argv[5]), argv + 7);
  }
  if (argc == 5 && strcmp(argv[1], "setxattr") == 0) {
    if (lsetxattr(argv[2], argv[3], argv[4], strlen(argv[4]), 0) < 0) {
      fprintf(stderr, "setxattr %s %s: %s\n", argv[2], argv[3], strerror(errno));
      return 1;
    }
    return 0;
  }
  if (argc < 2 || strcmp(argv[1], "run") != 0) {
    fprintf(stderr, "usage: portico-shim pause | run --runc P --root D --id I --bundle D --log F --exit F [--tty] [--stdin FIFO] [--ctl FIFO] [--oom F] [--log-max N]\n");
    return 2;
  }
  struct opts o = {0};
  for (int i = 2; i < argc; i++) {
    const char *k = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(k, "--tty") == 0) {
      o.tty = 1;
      continue;
    }
    if (!v) {
      fprintf(stderr, "portico-shim: %s needs a value\n", k);
      return 2;
    }
    i++;
    if (strcmp(k, "--runc") == 0) o.runc = v;
    else if (strcmp(k, "--root") == 0) o.root = v;
    else if (strcmp(k, "--id") == 0) o.id = v;
    else if (strcmp(k, "--bundle") == 0) o.bundle = v;
    else if (strcmp(k, "--log") == 0) o.log = v;
    else if (strcmp(k, "--exit") == 0) o.exitfile = v;
    else if (strcmp(k, "--stdin") == 0) o.stdin_fifo = v;
    else if (strcmp(k, "--ctl") == 0) o.ctl_fifo = v;
    else if (strcmp(k, "--oom") == 0) o.oom = v;
    else if (strcmp(k, "--log-max") == 0) o.log_max = atoll(v);
    else {
      fprintf(stderr, "portico-shim: unknown flag %s\n", k);
      return 2;
    }
  }
  if (!o.runc || !o.root || !o.id || !o.bundle || !o.log || !o.exitfile) {
    fprintf(stderr, "portico-shim: --runc, --root, --id, --bundle, --log and --exit are required\n");
    return 2;
  }
  if (fcntl(sync_fd, F_GETFD) < 0) sync_fd = -1;
  else fcntl(sync_fd, F_SETFD, FD_CLOEXEC);
  return run(&o);
}
