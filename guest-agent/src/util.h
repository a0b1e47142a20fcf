/* Small helpers shared by every module: a growable buffer with JSON helpers,
 * file reading, logging and sleeping. */
#ifndef BANGER_UTIL_H
#define BANGER_UTIL_H

#include <stddef.h>
#include <sys/types.h>

#ifndef BANGER_VERSION
#define BANGER_VERSION "dev"
#endif

struct buf {
  char *p;
  size_t len, cap;
};

void buf_add(struct buf *b, const void *data, size_t n);
void buf_str(struct buf *b, const char *s);
void buf_fmt(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s (n bytes) as a quoted, escaped JSON string. */
void buf_json(struct buf *b, const char *s, size_t n);
void buf_jstr(struct buf *b, const char *s); /* NULL -> null */
void buf_free(struct buf *b);

/* Reads a whole (small, e.g. /proc) file; NUL-terminated; returns length or -1. */
ssize_t read_file(const char *path, char *out, size_t cap);
/* Reads the first line of a file without the newline; returns 0 or -1. */
int read_line(const char *path, char *out, size_t cap);
int write_file(const char *path, const char *data, int mode);
int write_all(int fd, const void *p, size_t n);
int path_exists(const char *path);
int is_executable(const char *path);
void mkdir_p(const char *path, int mode);
void sleep_ms(long ms);
long long now_ms(void);

/* Logs "banger-agent: ..." to stderr (the console in init mode). */
void logmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Creates /dev node `dev` (char device) from sysfs "MAJ:MIN" file `sysdev` if missing. */
void ensure_dev_node(const char *dev, const char *sysdev);
/* In a fresh child before exec: unblock signals, restore default handlers. */
void child_reset(void);
/* Runs argv (PATH search), waits, returns the exit status or -1. */
int run_wait(char *const argv[]);

#endif
