/* The service protocol's transport (see src/core/scmproto.h and
 * docs/ns-svc.md): the pipe's name, connecting, sending and receiving
 * whole messages. kernel32 only, no C runtime: linked into the layer,
 * plume.exe and plume-scm.exe alike. */
#ifndef PLUME_SCM_CLIENT_H
#define PLUME_SCM_CLIENT_H

#include <windows.h>
#include "scmproto.h"

#define SCMC_PIPE_PREFIX L"\\\\.\\pipe\\PlumeSCM."
#define SCMC_PIPE_MAX 128

/* \\.\pipe\PlumeSCM.<tag> into buf (SCMC_PIPE_MAX units). 0 or -1. */
int scmc_pipe_name(const uint16_t *tag, wchar_t *buf);

/* Connects to the manager's pipe, waiting up to timeout_ms while every
 * instance is busy. INVALID_HANDLE_VALUE with the last error set
 * (ERROR_FILE_NOT_FOUND: no manager listens). */
HANDLE scmc_connect(const wchar_t *pipe, DWORD timeout_ms);

/* Writes a whole message. 0 or a Win32 error. */
DWORD scmc_send(HANDLE h, const uint8_t *msg, size_t n);

/* Reads and decodes one whole message: returns the buffer it lives in
 * (free with scmc_free), NULL on a broken pipe or a malformed message
 * (*err: the Win32 error). */
uint8_t *scmc_recv(HANDLE h, scm_msg *m, DWORD *err);
void scmc_free(uint8_t *buf);

/* A buffer for one message to send (SCM_MAX_MSG bytes), or NULL. */
uint8_t *scmc_alloc(void);

#endif
