/* plume.exe: shared declarations of the CLI. One file per command group. */
#ifndef PLUME_CLI_H
#define PLUME_CLI_H

#include <windows.h>
#include <stddef.h>

/* Exit codes of plume.exe (plume run returns the program's own). */
#define PLUME_EXIT_OK 0
#define PLUME_EXIT_FAIL 1   /* the operation failed; nothing was changed */
#define PLUME_EXIT_USAGE 2  /* bad command line */

/* Output, UTF-8, printf-style. out() -> stdout. */
void out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A JSON string literal (quoted, escaped) of UTF-8 s, to stdout. */
void out_json_str(const char *s);
/* "plume CMD: <message>\n" on stderr; returns PLUME_EXIT_FAIL. */
int fail(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Like fail(), then ": <system message> (error N)". */
int fail_win(const char *cmd, DWORD err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* "plume CMD: <message>\nTry 'plume CMD --help'.\n"; returns PLUME_EXIT_USAGE. */
int usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* UTF-16 -> UTF-8 into buf (always terminated; truncates). Returns buf. */
char *to_utf8(const wchar_t *w, char *buf, size_t cap);
/* True when argv[1..] holds -h, --help or /? */
int wants_help(int argc, wchar_t **argv);

/* Under Wine: starts Wine's own helper processes before a VM process can
 * (see winecompat.c). Nothing on Windows. */
void winecompat_before_vm_start(void);

/* Commands. argv[0] is the command's own name. Return the exit code. */
int cmd_create(int argc, wchar_t **argv);
int cmd_list(int argc, wchar_t **argv);
int cmd_delete(int argc, wchar_t **argv);
int cmd_run(int argc, wchar_t **argv);
int cmd_ps(int argc, wchar_t **argv);
int cmd_stop(int argc, wchar_t **argv);
int cmd_start(int argc, wchar_t **argv);
int cmd_svc(int argc, wchar_t **argv);
int cmd_diff(int argc, wchar_t **argv);
int cmd_commit(int argc, wchar_t **argv);
int cmd_discard(int argc, wchar_t **argv);
int cmd_endpoints(int argc, wchar_t **argv);

#endif
