/* The escape suite's probe (tests/escape/run.sh drives it).
 *
 *   escape setup            (host) registry keys and services the attempts aim at
 *   escape setup-b          (in VM b) b's own copies of the same targets
 *   escape hold SECONDS     (host, or VM b) holds the named objects, pipes,
 *                           mailslots and sockets the attempts aim at; prints
 *                           "ready pid=P tid=T", then one line per contact
 *                           ("Q01 connected", "N03 accepted", ...)
 *   escape snap             prints the state of every target, one line each,
 *                           each line starting with the attempt id it belongs to
 *   escape attack ARGS      (in VM a) every attempt; one line each:
 *                           "<id> ok|bad|known <what the program saw>"
 *                           ARGS: HOSTPID HOSTTID BPID BTID ROOT PREFIXUNIX
 *   escape given ...        (in VM a) the attempts through process handles
 *                           a host process gives it (see run.sh)
 *   escape give VMPID P...  (host) duplicates handles to processes P... into VMPID
 *   escape child ID FILE    writes FILE and says whether the layer is loaded
 *
 * "ok": the program saw an error or its own copy; "bad": it reached something
 * outside the VM (run.sh also compares the host's and VM b's state). */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <mswsock.h>
#include <windows.h>
#include <winternl.h>
#include <winioctl.h>
#include <sddl.h>
#include <tlhelp32.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <stdarg.h>

#define DIR_QUERY 0x0001
#define DIR_TRAVERSE 0x0002
#define DIR_ALL 0xF000F
#define LINK_ALL 0xF0001
#define FSCTL_PIPE_WAIT_CODE 0x00110018
typedef struct {
    LARGE_INTEGER Timeout;
    ULONG NameLength;
    BOOLEAN TimeoutSpecified;
    WCHAR Name[1];
} PIPE_WAIT_BUF;
NTSTATUS NTAPI NtOpenKey(PHANDLE, ACCESS_MASK, POBJECT_ATTRIBUTES);

#ifndef STATUS_OBJECT_NAME_EXISTS
#define STATUS_OBJECT_NAME_EXISTS ((NTSTATUS)0x40000000L)
#endif

typedef NTSTATUS(NTAPI *fn_create_event)(PHANDLE, ACCESS_MASK, POBJECT_ATTRIBUTES, int, BOOLEAN);
typedef NTSTATUS(NTAPI *fn_open3)(PHANDLE, ACCESS_MASK, POBJECT_ATTRIBUTES);
typedef NTSTATUS(NTAPI *fn_create_link)(PHANDLE, ACCESS_MASK, POBJECT_ATTRIBUTES, PUNICODE_STRING);
typedef NTSTATUS(NTAPI *fn_query_dir)(HANDLE, PVOID, ULONG, BOOLEAN, BOOLEAN, PULONG, PULONG);
typedef NTSTATUS(NTAPI *fn_set_value)(HANDLE, PUNICODE_STRING, ULONG, ULONG, PVOID, ULONG);
typedef NTSTATUS(NTAPI *fn_create_key)(PHANDLE, ACCESS_MASK, POBJECT_ATTRIBUTES, ULONG,
                                       PUNICODE_STRING, ULONG, PULONG);
typedef NTSTATUS(NTAPI *fn_save_key)(HANDLE, HANDLE);
typedef NTSTATUS(NTAPI *fn_load_key)(POBJECT_ATTRIBUTES, POBJECT_ATTRIBUTES);
typedef NTSTATUS(NTAPI *fn_rename_key)(HANDLE, PUNICODE_STRING);
typedef NTSTATUS(NTAPI *fn_set_info_file)(HANDLE, PIO_STATUS_BLOCK, PVOID, ULONG, ULONG);
typedef NTSTATUS(NTAPI *fn_fsctl)(HANDLE, HANDLE, PVOID, PVOID, PIO_STATUS_BLOCK, ULONG, PVOID,
                                  ULONG, PVOID, ULONG);
typedef NTSTATUS(NTAPI *fn_connect_port)(PHANDLE, PUNICODE_STRING, PVOID, PVOID, PVOID, PULONG,
                                         PVOID, PULONG);
typedef NTSTATUS(NTAPI *fn_create_port)(PHANDLE, POBJECT_ATTRIBUTES, ULONG, ULONG, ULONG);
typedef NTSTATUS(NTAPI *fn_suspend)(HANDLE);
typedef NTSTATUS(NTAPI *fn_qsi)(ULONG, PVOID, ULONG, PULONG);
typedef NTSTATUS(NTAPI *fn_query_obj)(HANDLE, ULONG, PVOID, ULONG, PULONG);
typedef NTSTATUS(NTAPI *fn_query_sem)(HANDLE, ULONG, PVOID, ULONG, PULONG);

static HMODULE nt;
static void *ntfn(const char *n) { return (void *)GetProcAddress(nt, n); }

static void line(const char *id, const char *verdict, const char *fmt, ...)
{
    char buf[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    for (char *p = buf; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    printf("%s %s %s\n", id, verdict, buf);
    fflush(stdout);
}

static void us(UNICODE_STRING *u, const wchar_t *s) { RtlInitUnicodeString(u, s); }

static void oa_init(OBJECT_ATTRIBUTES *oa, UNICODE_STRING *u, const wchar_t *name, HANDLE root)
{
    us(u, name);
    InitializeObjectAttributes(oa, u, OBJ_CASE_INSENSITIVE, root, NULL);
}

/* ---------------------------------------------------------------- files -- */

static const char *MARK = "ESCAPED";

/* NtCreateFile of NAME (relative to ROOT) for writing, then a write. */
static NTSTATUS nt_write(const wchar_t *name, HANDLE root, ULONG disp, ULONG opts)
{
    UNICODE_STRING u;
    OBJECT_ATTRIBUTES oa;
    IO_STATUS_BLOCK io;
    HANDLE h;
    oa_init(&oa, &u, name, root);
    NTSTATUS st = NtCreateFile(&h, FILE_GENERIC_WRITE | FILE_GENERIC_READ, &oa, &io, NULL, 0,
                               FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, disp,
                               FILE_SYNCHRONOUS_IO_NONALERT | FILE_NON_DIRECTORY_FILE | opts, NULL, 0);
    if (st < 0)
        return st;
    DWORD n = 0;
    if (!WriteFile(h, MARK, 7, &n, NULL))
        st = (NTSTATUS)0xC0000001L;
    CloseHandle(h);
    return st;
}

static DWORD w32_write(const wchar_t *path, DWORD disp)
{
    HANDLE h = CreateFileW(path, GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, disp,
                           FILE_ATTRIBUTE_NORMAL, NULL);
    if (h == INVALID_HANDLE_VALUE)
        return GetLastError();
    DWORD n = 0, e = WriteFile(h, MARK, 7, &n, NULL) ? 0 : GetLastError();
    CloseHandle(h);
    return e;
}

/* What the VM reads at PATH now (its own view). */
static const char *vm_read(const wchar_t *path, char *buf, size_t cap)
{
    HANDLE h = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL,
                           OPEN_EXISTING, 0, NULL);
    if (h == INVALID_HANDLE_VALUE) {
        snprintf(buf, cap, "<err %lu>", GetLastError());
        return buf;
    }
    DWORD n = 0;
    if (!ReadFile(h, buf, (DWORD)cap - 1, &n, NULL))
        n = 0;
    buf[n] = 0;
    CloseHandle(h);
    return buf;
}

static void file_nt(const char *id, const wchar_t *name, const wchar_t *check)
{
    char b[64];
    NTSTATUS st = nt_write(name, NULL, FILE_OPEN_IF, 0);
    line(id, "ok", "status=0x%08lx vm-reads=[%s]", (unsigned long)st, vm_read(check, b, sizeof b));
}

static void file_w32(const char *id, const wchar_t *path, const wchar_t *check)
{
    char b[64];
    DWORD e = w32_write(path, OPEN_ALWAYS);
    line(id, "ok", "err=%lu vm-reads=[%s]", e, vm_read(check, b, sizeof b));
}

static HANDLE open_ro(const wchar_t *path, DWORD flags)
{
    return CreateFileW(path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                       NULL, OPEN_EXISTING, flags, NULL);
}

static wchar_t g_root[MAX_PATH], g_prefix[MAX_PATH]; /* PLUME_ROOT; prefix (unix, '/') */

static void files(void)
{
    wchar_t p[1024], q[1024];
    char b[64];
    const wchar_t *H = L"C:\\esc-host";
    fn_set_info_file setinfo = (fn_set_info_file)ntfn("NtSetInformationFile");

    file_w32("F01", L"C:\\esc-host\\F01.txt", L"C:\\esc-host\\F01.txt");
    file_nt("F02", L"\\??\\C:\\esc-host\\F02.txt", L"C:\\esc-host\\F02.txt");
    file_nt("F03", L"\\Device\\HarddiskVolume1\\esc-host\\F03.txt", L"C:\\esc-host\\F03.txt");
    file_nt("F04", L"\\??\\UNC\\localhost\\C$\\esc-host\\F04.txt", L"C:\\esc-host\\F04.txt");
    file_w32("F05", L"\\\\?\\GLOBALROOT\\Device\\HarddiskVolume1\\esc-host\\F05.txt",
             L"C:\\esc-host\\F05.txt");
    file_w32("F06", L"\\\\.\\C:\\esc-host\\F06.txt", L"C:\\esc-host\\F06.txt");
    file_nt("F07", L"\\GLOBAL??\\C:\\esc-host\\F07.txt", L"C:\\esc-host\\F07.txt");
    /* The Wine drive Z: and \??\unix spellings of drive_c. */
    swprintf(p, 1024, L"Z:%ls/drive_c/esc-host/F08.txt", g_prefix);
    for (wchar_t *c = p; *c; c++)
        if (*c == '/')
            *c = '\\';
    file_w32("F08", p, p);
    swprintf(p, 1024, L"\\??\\unix%ls/drive_c/esc-host/F09.txt", g_prefix);
    file_nt("F09", p, L"C:\\esc-host\\F09.txt");
    /* .. past the root. */
    {
        NTSTATUS st = nt_write(L"\\??\\C:\\..\\..\\..\\esc-host\\F10.txt", NULL, FILE_OPEN_IF, 0);
        DWORD e = w32_write(L"C:\\..\\..\\esc-host\\F10.txt", OPEN_ALWAYS);
        line("F10", "ok", "nt=0x%08lx win32=%lu vm-reads=[%s]", (unsigned long)st, e,
             vm_read(L"C:\\esc-host\\F10.txt", b, sizeof b));
    }
    {
        HANDLE d = CreateFileW(L"C:\\esc-host\\sub", GENERIC_READ, 7, NULL, OPEN_EXISTING,
                               FILE_FLAG_BACKUP_SEMANTICS, NULL);
        NTSTATUS st = nt_write(L"..\\F11.txt", d, FILE_OPEN_IF, 0);
        NTSTATUS st2 = nt_write(L"..\\..\\esc-host\\F11.txt", d, FILE_OPEN_IF, 0);
        line("F11", "ok", "relative ..: 0x%08lx 0x%08lx vm-reads=[%s]", (unsigned long)st,
             (unsigned long)st2, vm_read(L"C:\\esc-host\\F11.txt", b, sizeof b));
        CloseHandle(d);
    }
    /* A junction made in the VM (its private directory) to a host folder. */
    {
        CreateDirectoryW(L"C:\\esc-vm", NULL);
        CreateDirectoryW(L"C:\\esc-vm\\j12", NULL);
        HANDLE d = CreateFileW(L"C:\\esc-vm\\j12", GENERIC_WRITE | GENERIC_READ, 7, NULL,
                               OPEN_EXISTING,
                               FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT, NULL);
        BYTE rb[1024] = {0};
        const wchar_t *tgt = L"\\??\\C:\\esc-host\\F12d";
        USHORT tl = (USHORT)(wcslen(tgt) * 2);
        *(DWORD *)rb = IO_REPARSE_TAG_MOUNT_POINT;
        *(USHORT *)(rb + 4) = (USHORT)(8 + tl + 2 + 2);
        *(USHORT *)(rb + 8) = 0;           /* substitute offset */
        *(USHORT *)(rb + 10) = tl;         /* substitute length */
        *(USHORT *)(rb + 12) = (USHORT)(tl + 2); /* print offset */
        *(USHORT *)(rb + 14) = 0;
        memcpy(rb + 16, tgt, tl);
        DWORD n = 0;
        BOOL set = d != INVALID_HANDLE_VALUE &&
                   DeviceIoControl(d, FSCTL_SET_REPARSE_POINT, rb, 8 + 8 + tl + 4, NULL, 0, &n, NULL);
        DWORD se = set ? 0 : GetLastError();
        if (d != INVALID_HANDLE_VALUE)
            CloseHandle(d);
        DWORD e = w32_write(L"C:\\esc-vm\\j12\\F12.txt", OPEN_ALWAYS);
        line("F12", "ok", "set-junction=%s(%lu) write-through=%lu", set ? "yes" : "no", se, e);
    }
    {
        BOOL s = CreateSymbolicLinkW(L"C:\\esc-vm\\F13.lnk", L"C:\\esc-host\\F13.txt", 0);
        DWORD se = s ? 0 : GetLastError();
        DWORD e = w32_write(L"C:\\esc-vm\\F13.lnk", OPEN_EXISTING);
        line("F13", "ok", "symlink=%s(%lu) write-through=%lu", s ? "yes" : "no", se, e);
    }
    {
        BOOL s = CreateHardLinkW(L"C:\\esc-host\\F14-link.txt", L"C:\\esc-host\\F14.txt", NULL);
        DWORD se = s ? 0 : GetLastError();
        DWORD e = w32_write(L"C:\\esc-host\\F14-link.txt", OPEN_EXISTING);
        line("F14", "ok", "hardlink=%s(%lu) write-through=%lu vm-reads-target=[%s]", s ? "yes" : "no",
             se, e, vm_read(L"C:\\esc-host\\F14.txt", b, sizeof b));
    }
    {
        swprintf(p, 1024, L"%ls\\vms\\b\\files\\C\\esc-host\\F15-link.txt", g_root);
        BOOL s = CreateHardLinkW(p, L"C:\\esc-host\\F15.txt", NULL);
        line("F15", s ? "bad" : "ok", "hard link into b's store: %s(%lu)", s ? "made" : "refused",
             s ? 0 : GetLastError());
    }
    {
        HANDLE h = open_ro(L"C:\\esc-host\\F16.txt", 0);
        BY_HANDLE_FILE_INFORMATION fi;
        GetFileInformationByHandle(h, &fi);
        CloseHandle(h);
        FILE_ID_DESCRIPTOR fd;
        memset(&fd, 0, sizeof fd);
        fd.dwSize = sizeof fd;
        fd.Type = FileIdType;
        fd.FileId.QuadPart = ((LONGLONG)fi.nFileIndexHigh << 32) | fi.nFileIndexLow;
        HANDLE d = CreateFileW(H, GENERIC_READ, 7, NULL, OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS,
                               NULL);
        HANDLE f = OpenFileById(d, &fd, GENERIC_WRITE, 7, NULL, 0);
        DWORD e = f == INVALID_HANDLE_VALUE ? GetLastError() : 0, n = 0;
        if (f != INVALID_HANDLE_VALUE) {
            WriteFile(f, MARK, 7, &n, NULL);
            CloseHandle(f);
        }
        line("F16", f == INVALID_HANDLE_VALUE ? "ok" : "bad", "OpenFileById for write: %s(%lu)",
             f == INVALID_HANDLE_VALUE ? "refused" : "opened", e);
        CloseHandle(d);
    }
    file_w32("F17", L"C:\\esc-host\\F17.txt:evil", L"C:\\esc-host\\F17.txt:evil");
    file_w32("F18", L"C:\\esc-host:F18evil", L"C:\\esc-host:F18evil");
    {
        w32_write(L"C:\\esc-host\\F19-new.txt", CREATE_ALWAYS);
        BOOL m = MoveFileExW(L"C:\\esc-host\\F19-new.txt", L"C:\\esc-host\\F19.txt",
                             MOVEFILE_REPLACE_EXISTING);
        line("F19", "ok", "rename a new file onto a host file: %s(%lu) vm-reads=[%s]",
             m ? "done" : "refused", m ? 0 : GetLastError(),
             vm_read(L"C:\\esc-host\\F19.txt", b, sizeof b));
    }
    {
        w32_write(L"C:\\esc-vm\\F20-new.txt", CREATE_ALWAYS);
        HANDLE d = CreateFileW(H, GENERIC_READ, 7, NULL, OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS,
                               NULL);
        HANDLE f = CreateFileW(L"C:\\esc-vm\\F20-new.txt", GENERIC_READ | DELETE, 7, NULL,
                               OPEN_EXISTING, 0, NULL);
        BYTE buf[512] = {0};
        FILE_RENAME_INFO *ri = (FILE_RENAME_INFO *)buf;
        ri->ReplaceIfExists = TRUE;
        ri->RootDirectory = d;
        ri->FileNameLength = 14;
        memcpy(ri->FileName, L"F20.txt", 14);
        IO_STATUS_BLOCK io;
        NTSTATUS st = setinfo(f, &io, ri, sizeof buf, 10 /* FileRenameInformation */);
        CloseHandle(f);
        CloseHandle(d);
        line("F20", "ok", "rename relative to a host directory handle: 0x%08lx vm-reads=[%s]",
             (unsigned long)st, vm_read(L"C:\\esc-host\\F20.txt", b, sizeof b));
    }
    {
        w32_write(L"C:\\esc-vm\\F21-new.txt", CREATE_ALWAYS);
        swprintf(p, 1024, L"%ls\\vms\\b\\files\\C\\esc-host\\F21.txt", g_root);
        BOOL m = MoveFileExW(L"C:\\esc-vm\\F21-new.txt", p, MOVEFILE_REPLACE_EXISTING);
        line("F21", m ? "bad" : "ok", "rename into b's store: %s(%lu)", m ? "done" : "refused",
             m ? 0 : GetLastError());
    }
    {
        DWORD n = GetShortPathNameW(H, q, 1024);
        swprintf(p, 1024, L"%ls\\F22.txt", n ? q : L"C:\\ESC-HO~1");
        DWORD e = w32_write(p, OPEN_ALWAYS);
        char s[300];
        snprintf(s, sizeof s, "%ls", p);
        line("F22", "ok", "short name %s: err=%lu vm-reads=[%s]", s, e,
             vm_read(L"C:\\esc-host\\F22.txt", b, sizeof b));
    }
    file_nt("F23", L"\\??\\GLOBALROOT\\??\\C:\\esc-host\\F23.txt", L"C:\\esc-host\\F23.txt");
    file_w32("F24", L"\\\\localhost\\C$\\esc-host\\F24.txt", L"C:\\esc-host\\F24.txt");
    file_w32("F25", L"\\\\127.0.0.1\\C$\\esc-host\\F25.txt", L"C:\\esc-host\\F25.txt");
    {
        swprintf(p, 1024, L"%ls\\vms\\b\\files\\C\\esc-host\\F26.txt", g_root);
        DWORD e = w32_write(p, OPEN_EXISTING);
        swprintf(q, 1024, L"%ls\\vms\\b\\vm.conf", g_root);
        vm_read(q, b, sizeof b);
        line("F26", e == 0 || b[0] != '<' ? "bad" : "ok", "b's store: write err=%lu, b's vm.conf=[%.20s]",
             e, b);
    }
    {
        swprintf(p, 1024, L"%ls\\vms\\a\\vm.conf", g_root);
        DWORD e = w32_write(p, OPEN_EXISTING);
        line("F27", e == 0 ? "bad" : "ok", "own store's vm.conf for write: err=%lu", e);
    }
    {
        swprintf(p, 1024, L"Z:%ls/drive_c/plume-tests/escape/vms/b/files/C/esc-host/F28.txt",
                 g_prefix);
        for (wchar_t *c = p; *c; c++)
            if (*c == '/')
                *c = '\\';
        DWORD e = w32_write(p, OPEN_EXISTING);
        line("F28", e == 0 ? "bad" : "ok", "b's store through Z: err=%lu", e);
    }
    {
        swprintf(p, 1024, L"\\??\\unix%ls/drive_c/plume-tests/escape/vms/b/files/C/esc-host/F29.txt",
                 g_prefix);
        NTSTATUS st = nt_write(p, NULL, FILE_OPEN, 0);
        line("F29", st >= 0 ? "bad" : "ok", "b's store through \\??\\unix: 0x%08lx", (unsigned long)st);
    }
    {
        HANDLE d = CreateFileW(L"C:\\", GENERIC_READ, 7, NULL, OPEN_EXISTING,
                               FILE_FLAG_BACKUP_SEMANTICS, NULL);
        NTSTATUS st = nt_write(L"plume-tests\\escape\\vms\\b\\files\\C\\esc-host\\F30.txt", d,
                               FILE_OPEN, 0);
        CloseHandle(d);
        line("F30", st >= 0 ? "bad" : "ok", "b's store relative to C:\\: 0x%08lx", (unsigned long)st);
    }
    {
        wchar_t vol[100] = L"";
        BOOL v = GetVolumeNameForVolumeMountPointW(L"C:\\", vol, 100);
        if (v) {
            swprintf(p, 1024, L"%lsesc-host\\F31.txt", vol);
            DWORD e = w32_write(p, OPEN_ALWAYS);
            char s[200];
            snprintf(s, sizeof s, "%ls", vol);
            line("F31", "ok", "%s: err=%lu vm-reads=[%s]", s, e,
                 vm_read(L"C:\\esc-host\\F31.txt", b, sizeof b));
        } else {
            line("F31", "ok", "no volume GUID name for C: (err %lu) [wine]", GetLastError());
        }
    }
    {
        BOOL d = DefineDosDeviceW(0, L"Q:", L"C:\\esc-host");
        DWORD de = d ? 0 : GetLastError();
        DWORD e = w32_write(L"Q:\\F32.txt", OPEN_ALWAYS);
        if (d)
            DefineDosDeviceW(DDD_REMOVE_DEFINITION, L"Q:", NULL);
        line("F32", "ok", "DefineDosDevice Q:=C:\\esc-host: %s(%lu); write Q:\\F32.txt err=%lu",
             d ? "yes" : "no", de, e);
    }
    {
        HANDLE r = open_ro(L"C:\\esc-host\\F33.txt", 0);
        NTSTATUS st = nt_write(L"", r, FILE_OPEN, 0);
        CloseHandle(r);
        line("F33", "ok", "re-open of a read-only host handle for write: 0x%08lx vm-reads=[%s]",
             (unsigned long)st, vm_read(L"C:\\esc-host\\F33.txt", b, sizeof b));
    }
    {
        HANDLE r = open_ro(L"C:\\esc-host\\F34.txt", 0);
        HANDLE w = ReOpenFile(r, GENERIC_WRITE, 7, 0);
        DWORD e = w == INVALID_HANDLE_VALUE ? GetLastError() : 0, n = 0;
        if (w != INVALID_HANDLE_VALUE) {
            if (!WriteFile(w, MARK, 7, &n, NULL))
                e = GetLastError();
            CloseHandle(w);
        }
        CloseHandle(r);
        line("F34", "ok", "ReOpenFile for write: err=%lu vm-reads=[%s]", e,
             vm_read(L"C:\\esc-host\\F34.txt", b, sizeof b));
    }
    {
        HANDLE r = open_ro(L"C:\\esc-host\\F35.txt", 0), w = NULL;
        BOOL d = DuplicateHandle(GetCurrentProcess(), r, GetCurrentProcess(), &w,
                                 GENERIC_WRITE | FILE_WRITE_DATA, FALSE, 0);
        DWORD e = d ? 0 : GetLastError(), n = 0;
        if (d) {
            if (!WriteFile(w, MARK, 7, &n, NULL))
                e = GetLastError();
            CloseHandle(w);
        }
        CloseHandle(r);
        line("F35", "ok", "duplicate a read-only host handle with write access: dup=%d err=%lu", d, e);
    }
    {
        HANDLE r = open_ro(L"C:\\esc-host\\F36.txt", 0);
        HANDLE m = CreateFileMappingW(r, NULL, PAGE_READWRITE, 0, 0, NULL);
        DWORD e = m ? 0 : GetLastError();
        if (m) {
            char *v = MapViewOfFile(m, FILE_MAP_WRITE, 0, 0, 0);
            if (v) {
                memcpy(v, MARK, 7);
                UnmapViewOfFile(v);
            } else
                e = GetLastError();
            CloseHandle(m);
        }
        CloseHandle(r);
        line("F36", "ok", "writable mapping of a read-only host handle: err=%lu", e);
    }
    {
        BOOL d = DeleteFileW(L"C:\\esc-host\\F37.txt");
        line("F37", "ok", "DeleteFile: %s(%lu)", d ? "done" : "refused", d ? 0 : GetLastError());
    }
    {
        HANDLE h = CreateFileW(L"C:\\esc-host\\F38.txt", DELETE | GENERIC_READ, 7, NULL, OPEN_EXISTING,
                               FILE_FLAG_DELETE_ON_CLOSE, NULL);
        DWORD e = h == INVALID_HANDLE_VALUE ? GetLastError() : 0;
        if (h != INVALID_HANDLE_VALUE)
            CloseHandle(h);
        line("F38", "ok", "delete-on-close: err=%lu exists-in-vm=%d", e,
             GetFileAttributesW(L"C:\\esc-host\\F38.txt") != INVALID_FILE_ATTRIBUTES);
    }
    {
        BOOL a = SetFileAttributesW(L"C:\\esc-host\\F39.txt", FILE_ATTRIBUTE_READONLY);
        HANDLE h = CreateFileW(L"C:\\esc-host\\F39.txt", FILE_WRITE_ATTRIBUTES, 7, NULL,
                               OPEN_EXISTING, 0, NULL);
        FILETIME ft = {0x12345678, 0x01000000};
        BOOL t = h != INVALID_HANDLE_VALUE && SetFileTime(h, &ft, &ft, &ft);
        if (h != INVALID_HANDLE_VALUE)
            CloseHandle(h);
        line("F39", "ok", "attributes=%d times=%d", a, t);
    }
    {
        HANDLE v = CreateFileW(L"\\\\.\\C:", GENERIC_WRITE, 7, NULL, OPEN_EXISTING, 0, NULL);
        DWORD e1 = v == INVALID_HANDLE_VALUE ? GetLastError() : 0;
        if (v != INVALID_HANDLE_VALUE)
            CloseHandle(v);
        HANDLE d = CreateFileW(L"\\\\.\\PhysicalDrive0", GENERIC_WRITE, 7, NULL, OPEN_EXISTING, 0, NULL);
        DWORD e2 = d == INVALID_HANDLE_VALUE ? GetLastError() : 0;
        if (d != INVALID_HANDLE_VALUE)
            CloseHandle(d);
        line("F40", e1 && e2 ? "ok" : "bad", "raw volume for write err=%lu, disk err=%lu", e1, e2);
    }
    {
        DWORD e = w32_write(L"C:\\esc-host\\F41-new.txt", CREATE_NEW);
        BOOL d = CreateDirectoryW(L"C:\\esc-host\\F41-dir", NULL);
        line("F41", "ok", "new file err=%lu, new directory %d (both must stay in the VM)", e, d);
    }
    file_w32("F42", L"\\\\?\\C:\\esc-host\\sub\\..\\F42.txt", L"C:\\esc-host\\F42.txt");
    file_nt("F43", L"\\??\\c:\\ESC-HOST\\f43.TXT. . ", L"C:\\esc-host\\F43.txt");
    file_nt("F44", L"\\DosDevices\\C:\\esc-host\\F44.txt", L"C:\\esc-host\\F44.txt");
}

/* ------------------------------------------------------------- registry -- */

static NTSTATUS nt_key_write(const wchar_t *name, HANDLE root, const wchar_t *val)
{
    UNICODE_STRING u, v;
    OBJECT_ATTRIBUTES oa;
    HANDLE k;
    oa_init(&oa, &u, name, root);
    NTSTATUS st = NtOpenKey(&k, KEY_SET_VALUE | KEY_QUERY_VALUE, &oa);
    if (st < 0)
        return st;
    us(&v, val);
    st = ((fn_set_value)ntfn("NtSetValueKey"))(k, &v, 0, REG_SZ, (PVOID)MARK, 8);
    NtClose(k);
    return st;
}

static LONG reg_write(HKEY root, const wchar_t *sub)
{
    HKEY k;
    LONG r = RegOpenKeyExW(root, sub, 0, KEY_SET_VALUE, &k);
    if (r)
        return r;
    r = RegSetValueExW(k, L"v", 0, REG_SZ, (const BYTE *)L"ESCAPED", 16);
    RegCloseKey(k);
    return r;
}

static const char *reg_read(HKEY root, const wchar_t *sub, char *buf, size_t cap)
{
    wchar_t w[64];
    DWORD n = sizeof w;
    LONG r = RegGetValueW(root, sub, L"v", RRF_RT_REG_SZ, NULL, w, &n);
    if (r)
        snprintf(buf, cap, "<err %ld>", r);
    else
        snprintf(buf, cap, "%ls", w);
    return buf;
}

static void user_sid(wchar_t *out, size_t cap)
{
    HANDLE t;
    BYTE buf[256];
    DWORD n;
    wchar_t *s = NULL;
    out[0] = 0;
    if (OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &t)) {
        if (GetTokenInformation(t, TokenUser, buf, sizeof buf, &n) &&
            ConvertSidToStringSidW(((TOKEN_USER *)buf)->User.Sid, &s)) {
            wcsncpy(out, s, cap - 1);
            out[cap - 1] = 0;
            LocalFree(s);
        }
        CloseHandle(t);
    }
}

static void registry(void)
{
    char b[64];
    wchar_t p[600], sid[200];
    fn_create_key ck = (fn_create_key)ntfn("NtCreateKey");
    LONG r = reg_write(HKEY_LOCAL_MACHINE, L"Software\\EscHost\\R01");
    line("R01", "ok", "HKLM write err=%ld vm-reads=[%s]", r,
         reg_read(HKEY_LOCAL_MACHINE, L"Software\\EscHost\\R01", b, sizeof b));
    NTSTATUS st = nt_key_write(L"\\Registry\\Machine\\Software\\EscHost\\R02", NULL, L"v");
    line("R02", "ok", "\\Registry\\Machine write 0x%08lx", (unsigned long)st);
    {
        UNICODE_STRING u;
        OBJECT_ATTRIBUTES oa;
        HANDLE k;
        oa_init(&oa, &u, L"\\REGISTRY\\MACHINE\\SOFTWARE\\ESCHOST\\r03", NULL);
        st = ck(&k, KEY_ALL_ACCESS, &oa, 0, NULL, 0, NULL);
        if (st >= 0) {
            UNICODE_STRING v;
            us(&v, L"v");
            st = ((fn_set_value)ntfn("NtSetValueKey"))(k, &v, 0, REG_SZ, (PVOID)L"ESCAPED", 16);
            NtClose(k);
        }
        line("R03", "ok", "upper-case spelling 0x%08lx", (unsigned long)st);
    }
    r = reg_write(HKEY_CURRENT_USER, L"Software\\EscHost\\R04");
    line("R04", "ok", "HKCU write err=%ld", r);
    user_sid(sid, 200);
    swprintf(p, 600, L"\\Registry\\User\\%ls\\Software\\EscHost\\R05", sid);
    st = nt_key_write(p, NULL, L"v");
    line("R05", "ok", "\\Registry\\User\\<sid> write 0x%08lx", (unsigned long)st);
    {
        HKEY cu;
        LONG o = RegOpenCurrentUser(KEY_ALL_ACCESS, &cu);
        r = o ? o : reg_write(cu, L"Software\\EscHost\\R06");
        if (!o)
            RegCloseKey(cu);
        line("R06", "ok", "predefined RegOpenCurrentUser handle: err=%ld", r);
    }
    r = reg_write(HKEY_CLASSES_ROOT, L"EscR07");
    line("R07", "ok", "HKCR write err=%ld", r);
    {
        HKEY k;
        DWORD disp;
        LONG c = RegCreateKeyExW(HKEY_CURRENT_USER, L"Software\\EscVmLink08", 0, NULL,
                                 REG_OPTION_CREATE_LINK | REG_OPTION_VOLATILE, KEY_ALL_ACCESS, NULL,
                                 &k, &disp);
        LONG s = -1, w = -1;
        if (!c) {
            const wchar_t *t = L"\\Registry\\Machine\\Software\\EscHost\\R08";
            s = RegSetValueExW(k, L"SymbolicLinkValue", 0, REG_LINK, (const BYTE *)t,
                               (DWORD)(wcslen(t) * 2));
            RegCloseKey(k);
            w = reg_write(HKEY_CURRENT_USER, L"Software\\EscVmLink08");
        }
        line("R08", "ok", "REG_OPTION_CREATE_LINK: create=%ld set-link=%ld write-through=%ld", c, s, w);
    }
    {
        HKEY k;
        LONG c = RegCreateKeyExW(HKEY_CURRENT_USER, L"Software\\EscVmKey09", 0, NULL, 0,
                                 KEY_ALL_ACCESS, NULL, &k, NULL);
        LONG s = -1;
        if (!c) {
            const wchar_t *t = L"\\Registry\\Machine\\Software\\EscHost\\R09";
            s = RegSetValueExW(k, L"SymbolicLinkValue", 0, REG_LINK, (const BYTE *)t,
                               (DWORD)(wcslen(t) * 2));
            RegCloseKey(k);
        }
        LONG w = reg_write(HKEY_CURRENT_USER, L"Software\\EscVmKey09");
        line("R09", "ok", "SymbolicLinkValue on a plain key: set=%ld write-through=%ld", s, w);
    }
    r = reg_write(HKEY_LOCAL_MACHINE, L"System\\CurrentControlSet\\Control\\EscR10");
    line("R10", "ok", "through CurrentControlSet: err=%ld", r);
    {
        HKEY k;
        LONG o = RegOpenKeyExW(HKEY_LOCAL_MACHINE, L"Software\\EscHost\\R11", 0, KEY_READ, &k);
        HANDLE f = CreateFileW(L"C:\\esc-host\\R11.hiv", GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL);
        st = o || f == INVALID_HANDLE_VALUE ? -1 : ((fn_save_key)ntfn("NtSaveKey"))((HANDLE)k, f);
        LONG rs = o ? o : RegSaveKeyW(k, L"C:\\esc-host\\R11b.hiv", NULL);
        if (f != INVALID_HANDLE_VALUE)
            CloseHandle(f);
        if (!o)
            RegCloseKey(k);
        line("R11", st < 0 && rs ? "ok" : "bad", "NtSaveKey 0x%08lx RegSaveKey %ld", (unsigned long)st,
             rs);
    }
    {
        UNICODE_STRING u1, u2;
        OBJECT_ATTRIBUTES k, f;
        oa_init(&k, &u1, L"\\Registry\\Machine\\EscR12", NULL);
        oa_init(&f, &u2, L"\\??\\C:\\esc-host\\R12.hiv", NULL);
        st = ((fn_load_key)ntfn("NtLoadKey"))(&k, &f);
        LONG rl = RegLoadKeyW(HKEY_LOCAL_MACHINE, L"EscR12", L"C:\\esc-host\\R12.hiv");
        line("R12", st < 0 && rl ? "ok" : "bad", "NtLoadKey 0x%08lx RegLoadKey %ld", (unsigned long)st,
             rl);
    }
    {
        /* Wine's RegRestoreKey is a stub that returns success: NtRestoreKey decides. */
        HKEY k;
        LONG o = RegOpenKeyExW(HKEY_LOCAL_MACHINE, L"Software\\EscHost\\R13", 0, KEY_ALL_ACCESS, &k);
        LONG rr = o ? o : RegRestoreKeyW(k, L"C:\\esc-host\\R12.hiv", REG_FORCE_RESTORE);
        HANDLE f = CreateFileW(L"C:\\esc-host\\R12.hiv", GENERIC_READ, 7, NULL, OPEN_EXISTING, 0, NULL);
        typedef NTSTATUS(NTAPI * fn_rk)(HANDLE, HANDLE, ULONG);
        NTSTATUS ns = o || f == INVALID_HANDLE_VALUE ? -1 : ((fn_rk)ntfn("NtRestoreKey"))((HANDLE)k, f, 8);
        if (f != INVALID_HANDLE_VALUE)
            CloseHandle(f);
        if (!o)
            RegCloseKey(k);
        line("R13", ns < 0 ? "ok" : "bad", "NtRestoreKey onto a host key 0x%08lx (RegRestoreKey %ld%s)",
             (unsigned long)ns, rr, rr ? "" : ", a stub under Wine");
    }
    {
        UNICODE_STRING u, n;
        OBJECT_ATTRIBUTES oa;
        HANDLE k;
        oa_init(&oa, &u, L"\\Registry\\Machine\\Software\\EscHost\\R14", NULL);
        st = NtOpenKey(&k, KEY_ALL_ACCESS, &oa);
        if (st >= 0) {
            us(&n, L"R14-renamed");
            st = ((fn_rename_key)ntfn("NtRenameKey"))(k, &n);
            NtClose(k);
        }
        line("R14", "ok", "NtRenameKey of a host key 0x%08lx", (unsigned long)st);
    }
    r = RegDeleteTreeW(HKEY_LOCAL_MACHINE, L"Software\\EscHost\\R15");
    line("R15", "ok", "RegDeleteTree of a host tree: %ld", r);
    {
        /* Plume's private trees: find VM b's and write into it. */
        HKEY k;
        LONG o = RegOpenKeyExW(HKEY_LOCAL_MACHINE, L"Software\\Plume\\VMs", 0, KEY_ALL_ACCESS, &k);
        LONG w = -1;
        int found = 0;
        if (!o) {
            wchar_t nm[256];
            for (DWORD i = 0;; i++) {
                DWORD n = 256;
                if (RegEnumKeyExW(k, i, nm, &n, NULL, NULL, NULL, NULL))
                    break;
                size_t l = wcslen(nm);
                if (l > 2 && !wcscmp(nm + l - 2, L".b")) {
                    found = 1;
                    swprintf(p, 600, L"%ls\\Machine\\Software\\EscHost\\R16", nm);
                    w = reg_write(k, p);
                }
            }
            RegCloseKey(k);
        }
        LONG c = RegCreateKeyExW(HKEY_LOCAL_MACHINE, L"Software\\Plume\\EscR16", 0, NULL, 0,
                                 KEY_ALL_ACCESS, NULL, &k, NULL);
        if (!c)
            RegCloseKey(k);
        line("R16", o && c && !found ? "ok" : "bad",
             "HKLM\\Software\\Plume\\VMs open=%ld found-b=%d write=%ld create-under-Plume=%ld", o, found,
             w, c);
    }
    {
        UNICODE_STRING u, v;
        OBJECT_ATTRIBUTES oa;
        HANDLE k;
        oa_init(&oa, &u, L"\\Registry\\Machine\\Software\\EscHost\\R17", NULL);
        st = NtOpenKey(&k, MAXIMUM_ALLOWED, &oa);
        if (st >= 0) {
            us(&v, L"v");
            st = ((fn_set_value)ntfn("NtSetValueKey"))(k, &v, 0, REG_SZ, (PVOID)L"ESCAPED", 16);
            NtClose(k);
        }
        line("R17", "ok", "write through a MAXIMUM_ALLOWED handle 0x%08lx", (unsigned long)st);
    }
    {
        wchar_t cn[64];
        DWORD n = 64;
        GetComputerNameW(cn, &n);
        wchar_t m1[80];
        swprintf(m1, 80, L"\\\\%ls", cn);
        HKEY k1 = NULL, k2 = NULL;
        LONG c1 = RegConnectRegistryW(L"\\\\localhost", HKEY_LOCAL_MACHINE, &k1);
        LONG c2 = RegConnectRegistryW(m1, HKEY_LOCAL_MACHINE, &k2);
        LONG w1 = c1 ? c1 : reg_write(k1, L"Software\\EscHost\\R18");
        LONG w2 = c2 ? c2 : reg_write(k2, L"Software\\EscHost\\R18");
        line("R18", "ok", "RegConnectRegistry localhost: %ld/%ld, own name: %ld/%ld", c1, w1, c2, w2);
    }
    {
        HANDLE t = CreateFileW(L"C:\\esc-host\\nosuch", 0, 0, NULL, OPEN_EXISTING, 0, NULL);
        HKEY k;
        typedef LONG(WINAPI * fn_t)(HKEY, LPCWSTR, DWORD, LPWSTR, DWORD, REGSAM,
                                    const LPSECURITY_ATTRIBUTES, PHKEY, LPDWORD, HANDLE, PVOID);
        fn_t f = (fn_t)(void *)GetProcAddress(GetModuleHandleW(L"advapi32.dll"),
                                              "RegCreateKeyTransactedW");
        UNICODE_STRING u;
        OBJECT_ATTRIBUTES oa;
        HANDLE hk;
        oa_init(&oa, &u, L"\\Registry\\Machine\\Software\\EscHost\\R19", NULL);
        typedef NTSTATUS(NTAPI * fn_okt)(PHANDLE, ACCESS_MASK, POBJECT_ATTRIBUTES, HANDLE);
        fn_okt okt = (fn_okt)ntfn("NtOpenKeyTransacted");
        NTSTATUS s2 = okt ? okt(&hk, KEY_ALL_ACCESS, &oa, t) : (NTSTATUS)0xC0000002L;
        LONG r2 = f ? f(HKEY_LOCAL_MACHINE, L"Software\\EscHost\\R19", 0, NULL, 0, KEY_ALL_ACCESS,
                        NULL, &k, NULL, t, NULL)
                    : -2;
        line("R19", "ok", "transacted: NtOpenKeyTransacted 0x%08lx RegCreateKeyTransacted %ld",
             (unsigned long)s2, r2);
    }
    {
        UNICODE_STRING u;
        OBJECT_ATTRIBUTES oa;
        HANDLE root;
        oa_init(&oa, &u, L"\\Registry", NULL);
        st = NtOpenKey(&root, KEY_READ, &oa);
        NTSTATUS w = st < 0 ? st : nt_key_write(L"Machine\\Software\\EscHost\\R20", root, L"v");
        if (st >= 0)
            NtClose(root);
        line("R20", "ok", "relative to \\Registry: open 0x%08lx write 0x%08lx", (unsigned long)st,
             (unsigned long)w);
    }
    {
        HKEY k;
        LONG o = RegOpenKeyExW(HKEY_LOCAL_MACHINE, L"Software\\EscHost\\R21", 0, KEY_ALL_ACCESS, &k);
        LONG d = o ? o : RegDeleteValueW(k, L"v");
        if (!o)
            RegCloseKey(k);
        line("R21", "ok", "delete a host value: %ld", d);
    }
}

/* -------------------------------------------------------------- objects -- */

static NTSTATUS nt_event(const wchar_t *name, HANDLE root, int *existed)
{
    UNICODE_STRING u;
    OBJECT_ATTRIBUTES oa;
    HANDLE h;
    us(&u, name);
    InitializeObjectAttributes(&oa, &u, OBJ_CASE_INSENSITIVE | OBJ_OPENIF, root, NULL);
    NTSTATUS st = ((fn_create_event)ntfn("NtCreateEvent"))(&h, EVENT_ALL_ACCESS, &oa, 0, FALSE);
    *existed = st == STATUS_OBJECT_NAME_EXISTS;
    if (st >= 0) {
        SetEvent(h);
        CloseHandle(h);
    }
    return st;
}

static void obj_nt(const char *id, const wchar_t *name, HANDLE root)
{
    int ex = 0;
    NTSTATUS st = nt_event(name, root, &ex);
    line(id, ex ? "bad" : "ok", "NtCreateEvent(OPENIF) 0x%08lx existed=%d (then set)",
         (unsigned long)st, ex);
}

static void obj_w32(const char *id, const wchar_t *name)
{
    HANDLE h = CreateEventW(NULL, TRUE, FALSE, name);
    DWORD e = GetLastError();
    int ex = h && e == ERROR_ALREADY_EXISTS;
    if (h) {
        SetEvent(h);
        CloseHandle(h);
    }
    line(id, ex ? "bad" : "ok", "CreateEvent %s existed=%d (then set)", h ? "ok" : "failed", ex);
}

static HANDLE open_dir(const wchar_t *name)
{
    UNICODE_STRING u;
    OBJECT_ATTRIBUTES oa;
    HANDLE h = NULL;
    oa_init(&oa, &u, name, NULL);
    NTSTATUS st = ((fn_open3)ntfn("NtOpenDirectoryObject"))(&h, DIR_QUERY | DIR_TRAVERSE, &oa);
    return st < 0 ? NULL : h;
}

/* Names in object directory DIR containing PAT, into out (comma list). */
static int list_dir(const wchar_t *dir, const wchar_t *pat, wchar_t *out, size_t cap)
{
    HANDLE d = open_dir(dir);
    int n = 0;
    out[0] = 0;
    if (!d)
        return -1;
    static BYTE buf[65536];
    ULONG ctx = 0, ret;
    fn_query_dir q = (fn_query_dir)ntfn("NtQueryDirectoryObject");
    while (q(d, buf, sizeof buf, TRUE, FALSE, &ctx, &ret) >= 0) {
        UNICODE_STRING *nm = (UNICODE_STRING *)buf;
        wchar_t s[300];
        swprintf(s, 300, L"%.*ls", (int)(nm->Length / 2), nm->Buffer);
        if (wcsstr(s, pat) && wcslen(out) + wcslen(s) + 2 < cap) {
            if (n++)
                wcscat(out, L",");
            wcscat(out, s);
        }
    }
    CloseHandle(d);
    return n;
}

static void objects(void)
{
    fn_create_link cl = (fn_create_link)ntfn("NtCreateSymbolicLinkObject");
    obj_w32("O01", L"EscO01");
    obj_w32("O02", L"Global\\EscO02");
    obj_w32("O03", L"Local\\EscO03");
    obj_w32("O04", L"Session\\1\\EscO04");
    obj_w32("O05", L"Session\\0\\EscO05");
    obj_nt("O06", L"\\BaseNamedObjects\\EscO06", NULL);
    obj_nt("O07", L"\\Sessions\\1\\BaseNamedObjects\\EscO07", NULL);
    obj_nt("O08", L"\\Sessions\\BNOLINKS\\1\\EscO08", NULL);
    obj_nt("O09", L"\\??\\GLOBALROOT\\BaseNamedObjects\\EscO09", NULL);
    obj_nt("O10", L"\\GLOBAL??\\GLOBALROOT\\Sessions\\1\\BaseNamedObjects\\EscO10", NULL);
    HANDLE d = open_dir(L"\\BaseNamedObjects");
    obj_nt("O11", L"EscO11", d);
    if (d)
        CloseHandle(d);
    d = open_dir(L"\\");
    if (!d)
        d = open_dir(L"");
    obj_nt("O12", L"BaseNamedObjects\\EscO12", d);
    if (d)
        CloseHandle(d);
    d = open_dir(L"\\Sessions");
    obj_nt("O13", L"1\\BaseNamedObjects\\EscO13", d);
    if (d)
        CloseHandle(d);
    {
        /* A link of the VM's own to the container itself. */
        UNICODE_STRING u, t;
        OBJECT_ATTRIBUTES oa;
        HANDLE l;
        oa_init(&oa, &u, L"\\BaseNamedObjects\\EscLink14", NULL);
        us(&t, L"\\BaseNamedObjects");
        NTSTATUS st = cl(&l, LINK_ALL, &oa, &t);
        int ex = 0;
        NTSTATUS so = nt_event(L"\\BaseNamedObjects\\EscLink14\\EscO14", NULL, &ex);
        line("O14", ex ? "bad" : "ok", "own link to \\BaseNamedObjects: 0x%08lx; through it 0x%08lx existed=%d",
             (unsigned long)st, (unsigned long)so, ex);
        if (st >= 0)
            CloseHandle(l);
    }
    {
        UNICODE_STRING u, t;
        OBJECT_ATTRIBUTES oa;
        HANDLE l;
        oa_init(&oa, &u, L"\\BaseNamedObjects\\EscLink15", NULL);
        us(&t, L"\\BaseNamedObjects\\EscO15");
        NTSTATUS st = cl(&l, LINK_ALL, &oa, &t);
        HANDLE e = NULL;
        oa_init(&oa, &u, L"\\BaseNamedObjects\\EscLink15", NULL);
        NTSTATUS so = ((fn_open3)ntfn("NtOpenEvent"))(&e, EVENT_ALL_ACCESS, &oa);
        if (so >= 0) {
            SetEvent(e);
            CloseHandle(e);
        }
        line("O15", so >= 0 ? "bad" : "ok", "own link to a host event: 0x%08lx; open through 0x%08lx",
             (unsigned long)st, (unsigned long)so);
        if (st >= 0)
            CloseHandle(l);
    }
    obj_nt("O16", L"\\Sessions\\1\\BaseNamedObjects\\Global\\EscO16", NULL);
    {
        UNICODE_STRING u, t;
        OBJECT_ATTRIBUTES oa;
        HANDLE l;
        oa_init(&oa, &u, L"\\GLOBAL??\\EscQ17:", NULL);
        us(&t, L"\\Device\\HarddiskVolume1\\esc-host");
        NTSTATUS s1 = cl(&l, LINK_ALL, &oa, &t);
        if (s1 >= 0)
            CloseHandle(l);
        oa_init(&oa, &u, L"\\??\\EscR17:", NULL);
        NTSTATUS s2 = cl(&l, LINK_ALL, &oa, &t);
        if (s2 >= 0)
            CloseHandle(l);
        line("O17", s1 < 0 && s2 < 0 ? "ok" : "bad", "links outside the containers: \\GLOBAL?? 0x%08lx, \\?? 0x%08lx",
             (unsigned long)s1, (unsigned long)s2);
    }
    {
        /* Directory traversal: names of b (and the host) listed, then opened. */
        wchar_t l[4096], one[300];
        int n = list_dir(L"\\Sessions\\1\\BaseNamedObjects", L"EscO18", l, 4096);
        int reached = 0, tried = 0;
        for (wchar_t *s = l, *e; n > 0 && *s; s = e + (*e ? 1 : 0)) {
            e = wcschr(s, L',');
            if (!e)
                e = s + wcslen(s);
            swprintf(one, 300, L"%.*ls", (int)(e - s), s);
            HANDLE h = OpenEventW(EVENT_ALL_ACCESS, FALSE, one);
            tried++;
            if (h) {
                reached++;
                SetEvent(h);
                CloseHandle(h);
            }
        }
        char s8[600];
        snprintf(s8, sizeof s8, "%ls", l);
        line("O18", reached ? "bad" : "ok", "listed %d names (%s); opened %d of %d", n, s8, reached,
             tried);
        line("O18L", n > 0 ? "bad" : "ok", "NtQueryDirectoryObject shows other VMs'/host names: %d", n);
    }
    {
        wchar_t l[4096], one[300];
        int n = list_dir(L"\\BaseNamedObjects", L"PlumeVM.", l, 4096);
        int reached = 0;
        for (wchar_t *s = l, *e; n > 0 && *s; s = e + (*e ? 1 : 0)) {
            e = wcschr(s, L',');
            if (!e)
                e = s + wcslen(s);
            swprintf(one, 300, L"Global\\%.*ls", (int)(e - s), s);
            size_t k = wcslen(one);
            if (k > 2 && !wcscmp(one + k - 2, L".b")) {
                HANDLE j = OpenJobObjectW(JOB_OBJECT_ALL_ACCESS, FALSE, one);
                if (j) {
                    reached++;
                    TerminateJobObject(j, 9);
                    CloseHandle(j);
                }
            }
        }
        line("O19", reached ? "bad" : "ok", "VM b's job object by its listed name: %d job(s) opened (%d listed)",
             reached, n);
    }
    {
        HANDLE m = OpenFileMappingW(FILE_MAP_WRITE, FALSE, L"EscO20");
        DWORD e = m ? 0 : GetLastError();
        if (m) {
            char *v = MapViewOfFile(m, FILE_MAP_WRITE, 0, 0, 8);
            if (v) {
                memcpy(v, MARK, 7);
                UnmapViewOfFile(v);
            }
            CloseHandle(m);
        }
        line("O20", m ? "bad" : "ok", "host section for write: err=%lu", e);
    }
    {
        HANDLE h = OpenEventW(EVENT_MODIFY_STATE, FALSE, L"Global\\__wine_SvcctlStartedEvent");
        DWORD e = h ? 0 : GetLastError();
        if (h)
            CloseHandle(h); /* not reset: that would disturb the host's services */
        line("O21", h ? "bad" : "ok",
             "host-fallback event __wine_SvcctlStartedEvent with EVENT_MODIFY_STATE: %s(%lu)",
             h ? "opened (could be reset)" : "refused", e);
    }
    obj_nt("O22", L"\\BaseNamedObjects\\EscO22d\\E", NULL);
    {
        HANDLE h = CreateMutexW(NULL, FALSE, L"EscO23");
        int ex = h && GetLastError() == ERROR_ALREADY_EXISTS;
        if (h)
            CloseHandle(h);
        line("O23", ex ? "bad" : "ok", "CreateMutex of a held host name: existed=%d", ex);
    }
    obj_nt("O24", L"\\Sess\x0131ons\\1\\BaseNamedObjects\\EscO24", NULL);
}

/* ---------------------------------------------------------------- pipes -- */

static void pipe_nt(const char *id, const wchar_t *name, HANDLE root)
{
    UNICODE_STRING u;
    OBJECT_ATTRIBUTES oa;
    IO_STATUS_BLOCK io;
    HANDLE h;
    oa_init(&oa, &u, name, root);
    NTSTATUS st = NtCreateFile(&h, GENERIC_READ | GENERIC_WRITE | SYNCHRONIZE, &oa, &io, NULL, 0,
                               FILE_SHARE_READ | FILE_SHARE_WRITE, FILE_OPEN,
                               FILE_SYNCHRONOUS_IO_NONALERT | FILE_NON_DIRECTORY_FILE, NULL, 0);
    if (st >= 0) {
        DWORD n;
        WriteFile(h, "x\n", 2, &n, NULL);
        CloseHandle(h);
    }
    line(id, st >= 0 ? "bad" : "ok", "open 0x%08lx", (unsigned long)st);
}

static void pipe_w32(const char *id, const wchar_t *name)
{
    HANDLE h = CreateFileW(name, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
    DWORD e = h == INVALID_HANDLE_VALUE ? GetLastError() : 0;
    if (h != INVALID_HANDLE_VALUE) {
        DWORD n;
        WriteFile(h, "x\n", 2, &n, NULL);
        CloseHandle(h);
    }
    line(id, e ? "ok" : "bad", "CreateFile err=%lu", e);
}

/* Raw DCE/RPC over the SCM's pipe: ROpenSCManagerW, RCreateServiceW. */
static int rpc_call(HANDLE p, BYTE *req, DWORD len, BYTE *resp, DWORD cap)
{
    DWORD n = 0;
    *(USHORT *)(req + 8) = (USHORT)len;
    if (!TransactNamedPipe(p, req, len, resp, cap, &n, NULL) && GetLastError() != ERROR_MORE_DATA)
        return -1;
    return (int)n;
}

static DWORD put_str(BYTE *b, DWORD o, const wchar_t *s)
{
    DWORD n = (DWORD)wcslen(s) + 1;
    *(DWORD *)(b + o) = n;
    *(DWORD *)(b + o + 4) = 0;
    *(DWORD *)(b + o + 8) = n;
    memcpy(b + o + 12, s, n * 2);
    o += 12 + n * 2;
    while (o & 3)
        b[o++] = 0;
    return o;
}

static void raw_svcctl(const char *id, const wchar_t *svc)
{
    HANDLE p = CreateFileW(L"\\\\.\\pipe\\svcctl", GENERIC_READ | GENERIC_WRITE, 0, NULL,
                           OPEN_EXISTING, 0, NULL);
    if (p == INVALID_HANDLE_VALUE) {
        line(id, "ok", "\\\\.\\pipe\\svcctl: err=%lu", GetLastError());
        return;
    }
    DWORD mode = PIPE_READMODE_MESSAGE;
    SetNamedPipeHandleState(p, &mode, NULL, NULL);
    static BYTE q[2048], r[2048];
    static const BYTE hdr[16] = {5, 0, 11, 3, 0x10, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0};
    static const BYTE scmr[16] = {0x81, 0xbb, 0x7a, 0x36, 0x44, 0x98, 0xf1, 0x35,
                                  0xad, 0x32, 0x98, 0xf0, 0x38, 0x00, 0x10, 0x03};
    static const BYTE ndr[16] = {0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11,
                                 0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48, 0x60};
    memset(q, 0, sizeof q);
    memcpy(q, hdr, 16);
    *(USHORT *)(q + 16) = 4280;
    *(USHORT *)(q + 18) = 4280;
    q[24] = 1;               /* one context */
    q[30] = 1;               /* one transfer syntax */
    memcpy(q + 32, scmr, 16);
    *(DWORD *)(q + 48) = 2;  /* version 2.0 */
    memcpy(q + 52, ndr, 16);
    *(DWORD *)(q + 68) = 2;
    int n = rpc_call(p, q, 72, r, sizeof r);
    if (n < 24 || r[2] != 12) {
        line(id, "ok", "svcctl opened, bind refused (n=%d type=%d)", n, n > 2 ? r[2] : -1);
        CloseHandle(p);
        return;
    }
    /* ROpenSCManagerW (15): machine NULL, database NULL, access ALL. */
    memset(q, 0, sizeof q);
    memcpy(q, hdr, 16);
    q[2] = 0;
    *(DWORD *)(q + 12) = 2;
    *(USHORT *)(q + 22) = 15;
    *(DWORD *)(q + 32) = SC_MANAGER_ALL_ACCESS;
    *(DWORD *)(q + 16) = 12;
    n = rpc_call(p, q, 36, r, sizeof r);
    DWORD err = n >= 48 ? *(DWORD *)(r + 44) : 0xffffffff;
    if (n < 48 || err) {
        line(id, "ok", "svcctl bound; ROpenSCManagerW failed (n=%d err=%lu)", n, err);
        CloseHandle(p);
        return;
    }
    BYTE ctx[20];
    memcpy(ctx, r + 24, 20);
    /* RCreateServiceW (12). */
    memset(q, 0, sizeof q);
    memcpy(q, hdr, 16);
    q[2] = 0;
    *(DWORD *)(q + 12) = 3;
    *(USHORT *)(q + 22) = 12;
    DWORD o = 24;
    memcpy(q + o, ctx, 20);
    o += 20;
    o = put_str(q, o, svc);
    *(DWORD *)(q + o) = 0; o += 4;                          /* display NULL */
    *(DWORD *)(q + o) = SERVICE_ALL_ACCESS; o += 4;
    *(DWORD *)(q + o) = SERVICE_WIN32_OWN_PROCESS; o += 4;
    *(DWORD *)(q + o) = SERVICE_DEMAND_START; o += 4;
    *(DWORD *)(q + o) = SERVICE_ERROR_IGNORE; o += 4;
    o = put_str(q, o, L"C:\\esc-host\\raw-rpc.exe");
    for (int i = 0; i < 7; i++) {                           /* group, tag, deps, size, */
        *(DWORD *)(q + o) = 0;                              /* start name, password, size */
        o += 4;
    }
    *(DWORD *)(q + 16) = o - 24;
    n = rpc_call(p, q, o, r, sizeof r);
    err = n >= 52 ? *(DWORD *)(r + n - 4) : 0xffffffff;
    line(id, err == 0 ? "bad" : "ok",
         "\\\\.\\pipe\\svcctl reaches the host SCM: ROpenSCManagerW ok; RCreateServiceW err=%lu (n=%d)",
         err, n);
    CloseHandle(p);
}

static void pipes(void)
{
    fn_fsctl fs = (fn_fsctl)ntfn("NtFsControlFile");
    pipe_w32("Q01", L"\\\\.\\pipe\\EscQ01");
    pipe_nt("Q02", L"\\??\\pipe\\EscQ02", NULL);
    pipe_nt("Q03", L"\\Device\\NamedPipe\\EscQ03", NULL);
    {
        UNICODE_STRING u;
        OBJECT_ATTRIBUTES oa;
        IO_STATUS_BLOCK io;
        HANDLE r = NULL;
        oa_init(&oa, &u, L"\\Device\\NamedPipe\\", NULL);
        NTSTATUS st = NtOpenFile(&r, GENERIC_READ | SYNCHRONIZE, &oa, &io, 3, FILE_SYNCHRONOUS_IO_NONALERT);
        if (st >= 0) {
            pipe_nt("Q04", L"EscQ04", r);
            /* Q08: FSCTL_PIPE_WAIT on the root with a host pipe's name. */
            BYTE wb[128] = {0};
            PIPE_WAIT_BUF *w = (PIPE_WAIT_BUF *)wb;
            w->Timeout.QuadPart = -10000000;
            w->TimeoutSpecified = TRUE;
            w->NameLength = 12;
            memcpy(w->Name, L"EscQ08", 12);
            NTSTATUS ws = fs(r, NULL, NULL, NULL, &io, FSCTL_PIPE_WAIT_CODE, wb,
                             (ULONG)(FIELD_OFFSET(PIPE_WAIT_BUF, Name) + 12), NULL, 0);
            line("Q08", ws >= 0 ? "bad" : "ok", "raw FSCTL_PIPE_WAIT for a host pipe: 0x%08lx",
                 (unsigned long)ws);
            CloseHandle(r);
        } else {
            line("Q04", "ok", "pipe root 0x%08lx", (unsigned long)st);
            line("Q08", "ok", "pipe root 0x%08lx", (unsigned long)st);
        }
    }
    pipe_nt("Q05", L"\\??\\GLOBALROOT\\Device\\NamedPipe\\EscQ05", NULL);
    pipe_w32("Q06", L"\\\\localhost\\pipe\\EscQ06");
    {
        BOOL w = WaitNamedPipeW(L"\\\\.\\pipe\\EscQ07", 500);
        line("Q07", w ? "bad" : "ok", "WaitNamedPipe on a host pipe: %d err=%lu", w, w ? 0 : GetLastError());
    }
    pipe_w32("Q09", L"\\\\.\\mailslot\\EscQ09");
    pipe_nt("Q10", L"\\Device\\Mailslot\\EscQ10", NULL);
    {
        HANDLE s = CreateNamedPipeW(L"\\\\.\\pipe\\EscQ11", PIPE_ACCESS_DUPLEX, 0, 4, 512, 512, 0, NULL);
        DWORD e = s == INVALID_HANDLE_VALUE ? GetLastError() : 0;
        if (s != INVALID_HANDLE_VALUE)
            CloseHandle(s);
        line("Q11", e ? "bad" : "ok", "a server instance of a host pipe's name: err=%lu (0 = own pipe)", e);
    }
    pipe_nt("Q12", L"\\GLOBAL??\\pipe\\EscQ12", NULL);
    {
        fn_connect_port cp = (fn_connect_port)ntfn("NtConnectPort");
        fn_create_port crp = (fn_create_port)ntfn("NtCreatePort");
        SECURITY_QUALITY_OF_SERVICE qos = {sizeof qos, SecurityImpersonation, 0, FALSE};
        UNICODE_STRING u;
        HANDLE h;
        const wchar_t *names[3] = {L"\\RPC Control\\EscQ13", L"\\??\\GLOBALROOT\\RPC Control\\EscQ14",
                                   L"\\RPC Control\\epmapper"};
        const char *ids[3] = {"Q13", "Q14", "Q15"};
        for (int i = 0; i < 3; i++) {
            us(&u, names[i]);
            NTSTATUS st = cp ? cp(&h, &u, &qos, NULL, NULL, NULL, NULL, NULL) : (NTSTATUS)0xC0000002L;
            if (st >= 0)
                CloseHandle(h);
            line(ids[i], st >= 0 && i < 2 ? "bad" : "ok", "NtConnectPort 0x%08lx%s", (unsigned long)st,
                 st == (NTSTATUS)0xC0000002L ? " [wine: not implemented]" : "");
        }
        OBJECT_ATTRIBUTES oa;
        oa_init(&oa, &u, L"\\RPC Control\\EscQ16p", NULL);
        NTSTATUS st = crp ? crp(&h, &oa, 0, 256, 0) : (NTSTATUS)0xC0000002L;
        if (st >= 0)
            CloseHandle(h);
        line("Q16", "ok", "NtCreatePort 0x%08lx%s", (unsigned long)st,
             st == (NTSTATUS)0xC0000002L ? " [wine: not implemented]" : "");
    }
    pipe_nt("Q17", L"\\??\\UNC\\127.0.0.1\\pipe\\EscQ17", NULL);
    raw_svcctl("Q18", L"EscQ18");
}

/* ------------------------------------------------------------ processes -- */

static DWORD g_hpid, g_htid, g_bpid, g_btid;
static int g_port = 7300;
static char g_ipb[32] = "127.0.0.3";

static void child(const char *id, const wchar_t *file, DWORD flags, HANDLE parent, wchar_t *cmd)
{
    wchar_t exe[MAX_PATH], cl[1200];
    GetModuleFileNameW(NULL, exe, MAX_PATH);
    if (cmd)
        wcscpy(cl, cmd);
    else
        swprintf(cl, 1200, L"\"%ls\" child %hs %ls", exe, id, file);
    STARTUPINFOEXW si;
    memset(&si, 0, sizeof si);
    si.StartupInfo.cb = sizeof si;
    BYTE al[256];
    SIZE_T sz = sizeof al;
    if (parent) {
        si.lpAttributeList = (LPPROC_THREAD_ATTRIBUTE_LIST)al;
        InitializeProcThreadAttributeList(si.lpAttributeList, 1, 0, &sz);
        UpdateProcThreadAttribute(si.lpAttributeList, 0, PROC_THREAD_ATTRIBUTE_PARENT_PROCESS,
                                  &parent, sizeof parent, NULL, NULL);
        flags |= EXTENDED_STARTUPINFO_PRESENT;
    }
    PROCESS_INFORMATION pi;
    BOOL c = CreateProcessW(NULL, cl, NULL, NULL, FALSE, flags, NULL, NULL, &si.StartupInfo, &pi);
    DWORD e = c ? 0 : GetLastError(), code = 0;
    if (c) {
        WaitForSingleObject(pi.hProcess, 20000);
        GetExitCodeProcess(pi.hProcess, &code);
        CloseHandle(pi.hProcess);
        CloseHandle(pi.hThread);
    }
    /* The child exits 10 + 1 when the layer was loaded in it. */
    line(id, c && cmd == NULL && code != 11 ? "bad" : "ok",
         "child: created=%d err=%lu exit=%lu%s", c, e, code,
         cmd ? "" : (code == 11 ? " (layer loaded)" : " (no layer!)"));
}

static int in_vm_list(DWORD pid)
{
    HANDLE s = CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0);
    PROCESSENTRY32W pe = {sizeof pe, 0, 0, 0, 0, 0, 0, 0, 0, {0}};
    int f = 0;
    for (BOOL ok = Process32FirstW(s, &pe); ok; ok = Process32NextW(s, &pe))
        if (pe.th32ProcessID == pid)
            f = 1;
    CloseHandle(s);
    return f;
}

static void processes(void)
{
    HANDLE h = OpenProcess(PROCESS_ALL_ACCESS, FALSE, g_hpid);
    line("P01", h ? "bad" : "ok", "OpenProcess(host) err=%lu", h ? 0 : GetLastError());
    if (h)
        CloseHandle(h);
    h = OpenProcess(PROCESS_ALL_ACCESS, FALSE, g_bpid);
    line("P02", h ? "bad" : "ok", "OpenProcess(VM b) err=%lu", h ? 0 : GetLastError());
    if (h)
        CloseHandle(h);
    h = OpenThread(THREAD_ALL_ACCESS, FALSE, g_htid);
    line("P03", h ? "bad" : "ok", "OpenThread(host) err=%lu", h ? 0 : GetLastError());
    if (h)
        CloseHandle(h);
    {
        CLIENT_ID cid = {NULL, (HANDLE)(ULONG_PTR)g_btid};
        OBJECT_ATTRIBUTES oa;
        InitializeObjectAttributes(&oa, NULL, 0, NULL, NULL);
        typedef NTSTATUS(NTAPI * fn_op)(PHANDLE, ACCESS_MASK, POBJECT_ATTRIBUTES, CLIENT_ID *);
        NTSTATUS st = ((fn_op)ntfn("NtOpenProcess"))(&h, PROCESS_ALL_ACCESS, &oa, &cid);
        line("P04", st >= 0 ? "bad" : "ok", "NtOpenProcess by VM b's thread id 0x%08lx", (unsigned long)st);
        if (st >= 0)
            CloseHandle(h);
    }
    BOOL d = DebugActiveProcess(g_hpid);
    line("P05", d ? "bad" : "ok", "DebugActiveProcess(host) err=%lu", d ? 0 : GetLastError());
    if (d)
        DebugActiveProcessStop(g_hpid);
    {
        /* System handle table: entries of outside processes. */
        ULONG len = 1 << 22, ret = 0;
        BYTE *buf = malloc(len);
        NTSTATUS st = ((fn_qsi)ntfn("NtQuerySystemInformation"))(64, buf, len, &ret);
        int outside = 0, total = 0;
        if (st >= 0) {
            ULONG_PTR n = *(ULONG_PTR *)buf;
            struct ent { PVOID o; ULONG_PTR pid, h; ULONG acc; USHORT a, b; ULONG at, r; } *e =
                (struct ent *)(buf + 2 * sizeof(ULONG_PTR));
            for (ULONG_PTR i = 0; i < n; i++) {
                total++;
                if (e[i].pid != GetCurrentProcessId() && !in_vm_list((DWORD)e[i].pid)) {
                    outside++;
                    if (outside > 0)
                        break;
                }
            }
        }
        free(buf);
        line("P06", outside ? "bad" : "ok", "system handle table: 0x%08lx, %d entries, outside=%d",
             (unsigned long)st, total, outside);
    }
    {
        /* Handles this process got from its launcher (plume run) that lead outside. */
        int procs = 0, outside = 0;
        char what[300] = "";
        for (ULONG_PTR v = 4; v < 0x1000; v += 4) {
            HANDLE x = (HANDLE)v;
            BYTE tb[512];
            ULONG r;
            if (((fn_query_obj)ntfn("NtQueryObject"))(x, 2, tb, sizeof tb, &r) < 0)
                continue;
            UNICODE_STRING *tn = (UNICODE_STRING *)tb;
            wchar_t t[64];
            swprintf(t, 64, L"%.*ls", (int)(tn->Length / 2), tn->Buffer);
            if (!wcscmp(t, L"Process")) {
                DWORD pid = GetProcessId(x);
                procs++;
                if (pid && pid != GetCurrentProcessId() && !in_vm_list(pid)) {
                    outside++;
                    size_t l = strlen(what);
                    snprintf(what + l, sizeof what - l, " process %lu (handle %#llx)", pid,
                             (unsigned long long)v);
                }
            }
        }
        line("P07", outside ? "bad" : "ok", "handles from the launcher: %d process handles, outside=%d%s",
             procs, outside, what);
    }
    child("P08", L"C:\\esc-host\\P08.txt", CREATE_BREAKAWAY_FROM_JOB, NULL, NULL);
    {
        wchar_t c[300] = L"cmd.exe /c echo ESCAPED> C:\\esc-host\\P09.txt";
        child("P09", NULL, 0, NULL, c);
    }
    {
        /* The launcher (plume run) is a host process: open it by the parent id. */
        PROCESS_BASIC_INFORMATION pbi;
        ULONG r;
        NtQueryInformationProcess(GetCurrentProcess(), ProcessBasicInformation, &pbi, sizeof pbi, &r);
        DWORD ppid = (DWORD)pbi.InheritedFromUniqueProcessId;
        h = OpenProcess(PROCESS_ALL_ACCESS, FALSE, ppid);
        line("P10", h ? "bad" : "ok", "OpenProcess(launcher %lu) err=%lu", ppid, h ? 0 : GetLastError());
        if (h)
            CloseHandle(h);
    }
    {
        typedef NTSTATUS(NTAPI * fn_cpex)(PHANDLE, ACCESS_MASK, POBJECT_ATTRIBUTES, HANDLE, ULONG,
                                          HANDLE, HANDLE, HANDLE, ULONG);
        fn_cpex f = (fn_cpex)ntfn("NtCreateProcessEx");
        line("P11", "ok", "NtCreateProcessEx: %s", f ? "exported (refused by the layer)" : "not exported [wine]");
    }
}

/* Through handles to outside processes given by a host process. */
static void given(HANDLE hp, HANDLE bp)
{
    SIZE_T n = 0;
    void *m = VirtualAllocEx(hp, NULL, 4096, MEM_COMMIT, PAGE_EXECUTE_READWRITE);
    line("P12", m ? "bad" : "ok", "VirtualAllocEx(host) err=%lu", m ? 0 : GetLastError());
    BOOL w = WriteProcessMemory(hp, (void *)GetModuleHandleW(NULL), "MZ", 2, &n);
    line("P13", w ? "bad" : "ok", "WriteProcessMemory(host) err=%lu", w ? 0 : GetLastError());
    HANDLE t = CreateRemoteThread(hp, NULL, 0, (LPTHREAD_START_ROUTINE)(void *)GetProcAddress(
                                                   GetModuleHandleW(L"kernel32.dll"), "ExitProcess"),
                                  (void *)77, 0, NULL);
    line("P14", t ? "bad" : "ok", "CreateRemoteThread(host, ExitProcess) err=%lu", t ? 0 : GetLastError());
    int dups = 0;
    for (ULONG_PTR v = 4; v < 0x400; v += 4) {
        HANDLE x;
        if (DuplicateHandle(hp, (HANDLE)v, GetCurrentProcess(), &x, 0, FALSE, DUPLICATE_SAME_ACCESS)) {
            dups++;
            CloseHandle(x);
        }
    }
    line("P15", dups ? "bad" : "ok", "DuplicateHandle out of the host process: %d handles", dups);
    NTSTATUS st = ((fn_suspend)ntfn("NtSuspendProcess"))(hp);
    if (st >= 0)
        ((fn_suspend)ntfn("NtResumeProcess"))(hp);
    line("P16", st >= 0 ? "bad" : "ok", "NtSuspendProcess(host) 0x%08lx", (unsigned long)st);
    BOOL k = TerminateProcess(bp, 9);
    line("P17", k ? "bad" : "ok", "TerminateProcess(VM b) err=%lu", k ? 0 : GetLastError());
    child("P18", L"C:\\esc-host\\P18.txt", 0, hp, NULL);
    child("P19", L"C:\\esc-host\\P19.txt", 0, bp, NULL);
}

/* ------------------------------------------------------------- services -- */

static void services(void)
{
    SC_HANDLE m = OpenSCManagerW(NULL, NULL, SC_MANAGER_ALL_ACCESS);
    if (!m) {
        line("S00", "ok", "OpenSCManager failed %lu", GetLastError());
        return;
    }
    SC_HANDLE s = CreateServiceW(m, L"EscS01", L"EscS01", SERVICE_ALL_ACCESS, SERVICE_WIN32_OWN_PROCESS,
                                 SERVICE_DEMAND_START, SERVICE_ERROR_IGNORE, L"C:\\esc-host\\s01.exe",
                                 NULL, NULL, NULL, NULL, NULL);
    line("S01", "ok", "CreateService: %s(%lu)", s ? "created (in the VM)" : "failed", s ? 0 : GetLastError());
    if (s)
        CloseServiceHandle(s);
    s = OpenServiceW(m, L"EscS02", SERVICE_ALL_ACCESS);
    BOOL c = s && ChangeServiceConfigW(s, SERVICE_NO_CHANGE, SERVICE_AUTO_START, SERVICE_NO_CHANGE,
                                       L"C:\\esc-host\\evil.exe", NULL, NULL, NULL, NULL, NULL,
                                       L"Escaped");
    line("S02", "ok", "ChangeServiceConfig of a host service: open=%d change=%d err=%lu", s != NULL, c,
         c ? 0 : GetLastError());
    if (s)
        CloseServiceHandle(s);
    s = OpenServiceW(m, L"EscS03", SERVICE_ALL_ACCESS);
    SERVICE_DESCRIPTIONW sd = {(wchar_t *)L"ESCAPED"};
    c = s && ChangeServiceConfig2W(s, SERVICE_CONFIG_DESCRIPTION, &sd);
    line("S03", "ok", "ChangeServiceConfig2W description: %d err=%lu", c, c ? 0 : GetLastError());
    if (s)
        CloseServiceHandle(s);
    s = OpenServiceW(m, L"EscS04", SERVICE_ALL_ACCESS);
    c = s && DeleteService(s);
    line("S04", "ok", "DeleteService of a host service: %d err=%lu", c, c ? 0 : GetLastError());
    if (s)
        CloseServiceHandle(s);
    s = OpenServiceW(m, L"EscS05", SERVICE_ALL_ACCESS);
    c = s && StartServiceW(s, 0, NULL);
    line("S05", "ok", "StartService of a host-only service: open=%d start=%d err=%lu", s != NULL, c,
         c ? 0 : GetLastError());
    if (s)
        CloseServiceHandle(s);
    const wchar_t *remote[2] = {L"\\\\localhost", L"\\\\127.0.0.1"};
    const char *rid[2] = {"S06", "S07"};
    const wchar_t *rname[2] = {L"EscS06", L"EscS07"};
    for (int i = 0; i < 2; i++) {
        SC_HANDLE r = OpenSCManagerW(remote[i], NULL, SC_MANAGER_ALL_ACCESS);
        DWORD e = r ? 0 : GetLastError();
        SC_HANDLE x = r ? CreateServiceW(r, rname[i], rname[i], SERVICE_ALL_ACCESS,
                                         SERVICE_WIN32_OWN_PROCESS, SERVICE_DEMAND_START,
                                         SERVICE_ERROR_IGNORE, L"C:\\esc-host\\s.exe", NULL, NULL,
                                         NULL, NULL, NULL)
                        : NULL;
        line(rid[i], "ok", "OpenSCManager(%ls): err=%lu create=%d", remote[i], e, x != NULL);
        if (x)
            CloseServiceHandle(x);
        if (r)
            CloseServiceHandle(r);
    }
    s = OpenServiceW(m, L"PlugPlay", SERVICE_ALL_ACCESS);
    SERVICE_STATUS ss;
    c = s && ControlService(s, SERVICE_CONTROL_STOP, &ss);
    line("S08", "ok", "stop the host's running PlugPlay: open=%d stop=%d err=%lu", s != NULL, c,
         c ? 0 : GetLastError());
    if (s)
        CloseServiceHandle(s);
    s = OpenServiceW(m, L"EscS10", SERVICE_ALL_ACCESS);
    SERVICE_DESCRIPTIONA sda = {(char *)"ESCAPED"};
    c = s && ChangeServiceConfig2A(s, SERVICE_CONFIG_DESCRIPTION, &sda);
    line("S10", "ok", "ChangeServiceConfig2A: %d err=%lu", c, c ? 0 : GetLastError());
    if (s)
        CloseServiceHandle(s);
    s = OpenServiceW(m, L"EscS11", SERVICE_ALL_ACCESS);
    {
        SECURITY_DESCRIPTOR sdc;
        InitializeSecurityDescriptor(&sdc, SECURITY_DESCRIPTOR_REVISION);
        SetSecurityDescriptorDacl(&sdc, TRUE, NULL, FALSE);
        c = s && SetServiceObjectSecurity(s, DACL_SECURITY_INFORMATION, &sdc);
        line("S11", "ok", "SetServiceObjectSecurity: %d err=%lu", c, c ? 0 : GetLastError());
    }
    if (s)
        CloseServiceHandle(s);
    CloseServiceHandle(m);
    {
        HKEY k;
        LONG o = RegOpenKeyExW(HKEY_LOCAL_MACHINE, L"System\\CurrentControlSet\\Services\\EscS12", 0,
                               KEY_SET_VALUE, &k);
        DWORD v = 2;
        LONG w = o ? o : RegSetValueExW(k, L"Start", 0, REG_DWORD, (BYTE *)&v, 4);
        if (!o)
            RegCloseKey(k);
        line("S12", "ok", "the service's registry key directly: %ld", w);
    }
    {
        wchar_t c9[300] = L"sc.exe create EscS09 binPath= C:\\esc-host\\s09.exe";
        child("S09", NULL, CREATE_NO_WINDOW, NULL, c9);
    }
}

/* -------------------------------------------------------------- network -- */

static int sa4(struct sockaddr_in *s, const char *ip, int port)
{
    memset(s, 0, sizeof *s);
    s->sin_family = AF_INET;
    s->sin_port = htons((u_short)port);
    return inet_pton(AF_INET, ip, &s->sin_addr);
}

static void network(void)
{
    WSADATA wd;
    WSAStartup(MAKEWORD(2, 2), &wd);
    struct sockaddr_in a;
    wchar_t svc6[16];
    swprintf(svc6, 16, L"%d", g_port + 6);
    SOCKET s = socket(AF_INET, SOCK_STREAM, 0);
    sa4(&a, g_ipb, g_port + 1);
    int r = bind(s, (struct sockaddr *)&a, sizeof a);
    line("N01", r ? "ok" : "bad", "bind VM b's address: %d wsa=%d", r, r ? WSAGetLastError() : 0);
    closesocket(s);
    s = socket(AF_INET, SOCK_STREAM, 0);
    sa4(&a, "127.0.0.1", g_port + 2);
    r = bind(s, (struct sockaddr *)&a, sizeof a);
    int e = r ? WSAGetLastError() : 0;
    line("N02", r ? "bad" : "ok", "bind the host's 127.0.0.1:base+2 (host listens there): %d wsa=%d%s", r, e,
         r ? "" : " (own address)");
    closesocket(s);
    s = socket(AF_INET, SOCK_STREAM, 0);
    sa4(&a, "127.0.0.1", g_port + 3);
    r = connect(s, (struct sockaddr *)&a, sizeof a);
    line("N03", r ? "ok" : "bad", "connect the host's server at 127.0.0.1:base+3: %d wsa=%d", r,
         r ? WSAGetLastError() : 0);
    closesocket(s);
    {
        SOCKET s6 = socket(AF_INET6, SOCK_STREAM, 0);
        DWORD off = 0;
        setsockopt(s6, IPPROTO_IPV6, IPV6_V6ONLY, (char *)&off, sizeof off);
        struct sockaddr_in6 a6;
        memset(&a6, 0, sizeof a6);
        a6.sin6_family = AF_INET6;
        a6.sin6_port = htons((u_short)(g_port + 4));
        inet_pton(AF_INET6, "::ffff:127.0.0.1", &a6.sin6_addr);
        r = connect(s6, (struct sockaddr *)&a6, sizeof a6);
        line("N04", r ? "ok" : "bad", "connect ::ffff:127.0.0.1:base+4: %d wsa=%d", r, r ? WSAGetLastError() : 0);
        closesocket(s6);
    }
    s = socket(AF_INET, SOCK_STREAM, 0);
    sa4(&a, "0.0.0.0", g_port + 5);
    r = connect(s, (struct sockaddr *)&a, sizeof a);
    line("N05", r ? "ok" : "bad", "connect 0.0.0.0:base+5: %d wsa=%d", r, r ? WSAGetLastError() : 0);
    closesocket(s);
    s = socket(AF_INET, SOCK_STREAM, 0);
    {
        BOOL c = WSAConnectByNameW(s, (wchar_t *)L"localhost", svc6, NULL, NULL, NULL,
                                   NULL, NULL, NULL);
        line("N06", c ? "bad" : "ok", "WSAConnectByName(localhost, base+6): %d wsa=%d", c,
             c ? 0 : WSAGetLastError());
    }
    closesocket(s);
    s = socket(AF_INET, SOCK_STREAM, 0);
    sa4(&a, "127.0.0.9", g_port + 7);
    r = bind(s, (struct sockaddr *)&a, sizeof a);
    line("N07", r ? "ok" : "bad", "bind an unassigned loopback address 127.0.0.9: %d wsa=%d", r,
         r ? WSAGetLastError() : 0);
    closesocket(s);
    s = socket(AF_INET, SOCK_DGRAM, 0);
    sa4(&a, "127.0.0.1", g_port + 8);
    r = sendto(s, "x", 1, 0, (struct sockaddr *)&a, sizeof a);
    line("N08", "ok", "UDP sendto 127.0.0.1:base+8 (host listens): %d", r);
    closesocket(s);
    {
        SOCKET s6 = socket(AF_INET6, SOCK_STREAM, 0);
        struct sockaddr_in6 a6;
        memset(&a6, 0, sizeof a6);
        a6.sin6_family = AF_INET6;
        a6.sin6_port = htons((u_short)(g_port + 9));
        r = bind(s6, (struct sockaddr *)&a6, sizeof a6);
        line("N09", r ? "ok" : "bad", "bind [::]:base+9 (IPv6-only): %d wsa=%d", r, r ? WSAGetLastError() : 0);
        closesocket(s6);
    }
    {
        s = socket(AF_INET, SOCK_STREAM, 0);
        GUID g = WSAID_CONNECTEX;
        LPFN_CONNECTEX cx = NULL;
        DWORD n;
        WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &g, sizeof g, &cx, sizeof cx, &n, NULL, NULL);
        sa4(&a, "0.0.0.0", 0);
        bind(s, (struct sockaddr *)&a, sizeof a);
        sa4(&a, "127.0.0.1", g_port + 10);
        OVERLAPPED ov;
        memset(&ov, 0, sizeof ov);
        ov.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL);
        BOOL c = cx && cx(s, (struct sockaddr *)&a, sizeof a, NULL, 0, NULL, &ov);
        int le = c ? 0 : WSAGetLastError();
        DWORD tr = 0, fl = 0;
        if (!c && le == WSA_IO_PENDING) {
            WaitForSingleObject(ov.hEvent, 3000);
            c = WSAGetOverlappedResult(s, &ov, &tr, FALSE, &fl);
            le = c ? 0 : WSAGetLastError();
        }
        line("N10", c ? "bad" : "ok", "ConnectEx 127.0.0.1:base+10: %d wsa=%d", c, le);
        CloseHandle(ov.hEvent);
        closesocket(s);
    }
}

/* ---------------------------------------------------- outside the model -- */

/* Puts back NtCreateFile's first 8 bytes as ntdll.dll on disk has them
 * (the layer's hook undone), then writes a host file. */
static void unhook(void)
{
    /* Wine's ntdll.dll on disk is a placeholder, so the original bytes are
     * rebuilt: stubs are 32 bytes apart in syscall-number order, so the next
     * stub's number minus 1 is NtCreateFile's. */
    BYTE *live = (BYTE *)GetProcAddress(nt, "NtCreateFile");
    BYTE *next = live + 32;
    DWORD k = 1;
    while (k < 16 && !(next[0] == 0x4c && next[1] == 0x8b && next[2] == 0xd1 && next[3] == 0xb8)) {
        next += 32; /* that one is hooked too */
        k++;
    }
    int done = 0;
    if (live[0] != 0x4c && k < 16) {
        DWORD num = *(DWORD *)(next + 4) - k, old;
        BYTE stub[8] = {0x4c, 0x8b, 0xd1, 0xb8};
        memcpy(stub + 4, &num, 4);
        if (VirtualProtect(live, 16, PAGE_EXECUTE_READWRITE, &old)) {
            memcpy(live, stub, 8);
            VirtualProtect(live, 16, old, &old);
            FlushInstructionCache(GetCurrentProcess(), live, 16);
            done = 1;
        }
    }
    DWORD e = w32_write(L"C:\\esc-host\\K01.txt", OPEN_EXISTING);
    line("K01", "known", "NtCreateFile unhooked=%d, then a write of a host file err=%lu", done, e);
}

/* --------------------------------------------------- host-side helpers -- */

static const wchar_t *const obj_ids[] = {L"O01", L"O02", L"O03", L"O04", L"O05", L"O06", L"O07",
                                         L"O08", L"O09", L"O10", L"O11", L"O12", L"O13", L"O14",
                                         L"O15", L"O16", L"O18", L"O24"};
#define N_OBJ (sizeof obj_ids / sizeof *obj_ids)
static const wchar_t *const pipe_ids[] = {L"Q01", L"Q02", L"Q03", L"Q04", L"Q05", L"Q06",
                                          L"Q07", L"Q08", L"Q11", L"Q12", L"Q17"};
#define N_PIPE (sizeof pipe_ids / sizeof *pipe_ids)
static const wchar_t *const reg_ids[] = {L"R01", L"R02", L"R03", L"R08", L"R09", L"R11", L"R13",
                                         L"R14", L"R15", L"R16", L"R17", L"R18", L"R19", L"R20",
                                         L"R21"};
#define N_REG (sizeof reg_ids / sizeof *reg_ids)
static const wchar_t *const user_reg_ids[] = {L"R04", L"R05", L"R06"};
static const wchar_t *const svc_ids[] = {L"EscS01", L"EscS02", L"EscS03", L"EscS04", L"EscS05",
                                         L"EscS06", L"EscS07", L"EscS09", L"EscS10", L"EscS11",
                                         L"EscS12", L"EscQ18"};
#define N_SVC (sizeof svc_ids / sizeof *svc_ids)

static void set_val(HKEY root, const wchar_t *sub, const wchar_t *val)
{
    HKEY k;
    if (!RegCreateKeyExW(root, sub, 0, NULL, 0, KEY_ALL_ACCESS, NULL, &k, NULL)) {
        RegSetValueExW(k, L"v", 0, REG_SZ, (const BYTE *)val, (DWORD)(wcslen(val) + 1) * 2);
        RegCloseKey(k);
    }
}

static void setup(const wchar_t *who)
{
    wchar_t p[300];
    for (size_t i = 0; i < N_REG; i++) {
        swprintf(p, 300, L"Software\\EscHost\\%ls", reg_ids[i]);
        set_val(HKEY_LOCAL_MACHINE, p, who);
        if (!wcscmp(reg_ids[i], L"R15")) {
            swprintf(p, 300, L"Software\\EscHost\\R15\\child");
            set_val(HKEY_LOCAL_MACHINE, p, who);
        }
    }
    for (size_t i = 0; i < 3; i++) {
        swprintf(p, 300, L"Software\\EscHost\\%ls", user_reg_ids[i]);
        set_val(HKEY_CURRENT_USER, p, who);
    }
    set_val(HKEY_LOCAL_MACHINE, L"Software\\Classes\\EscR07", who);
    set_val(HKEY_LOCAL_MACHINE, L"System\\ControlSet001\\Control\\EscR10", who);
    if (wcscmp(who, L"host"))
        return;
    SC_HANDLE m = OpenSCManagerW(NULL, NULL, SC_MANAGER_ALL_ACCESS);
    const wchar_t *mine[] = {L"EscS02", L"EscS03", L"EscS04", L"EscS05", L"EscS10", L"EscS11", L"EscS12"};
    for (size_t i = 0; m && i < sizeof mine / sizeof *mine; i++) {
        SC_HANDLE s = CreateServiceW(m, mine[i], mine[i], SERVICE_ALL_ACCESS, SERVICE_WIN32_OWN_PROCESS,
                                     SERVICE_DEMAND_START, SERVICE_ERROR_IGNORE,
                                     L"C:\\esc-host\\nosuch.exe", NULL, NULL, NULL, NULL, NULL);
        if (s)
            CloseServiceHandle(s);
    }
    if (m) {
        SC_HANDLE s = OpenServiceW(m, L"PlugPlay", SERVICE_START);
        if (s) {
            StartServiceW(s, 0, NULL);
            CloseServiceHandle(s);
        }
        CloseServiceHandle(m);
    }
    printf("setup done\n");
}

static void dump_key(HKEY root, const wchar_t *path, const char *label)
{
    HKEY k;
    if (RegOpenKeyExW(root, path, 0, KEY_READ, &k)) {
        printf("%s reg %ls missing\n", label, path);
        return;
    }
    wchar_t nm[256];
    BYTE data[512];
    for (DWORD i = 0;; i++) {
        DWORD n = 256, dl = sizeof data - 2, t;
        if (RegEnumValueW(k, i, nm, &n, NULL, &t, data, &dl))
            break;
        data[dl] = data[dl + 1] = 0;
        if (t == REG_SZ)
            printf("%s reg %ls %ls=%ls\n", label, path, nm, (wchar_t *)data);
        else
            printf("%s reg %ls %ls type=%lu len=%lu\n", label, path, nm, t, dl);
    }
    wchar_t sub[600];
    for (DWORD i = 0;; i++) {
        DWORD n = 256;
        if (RegEnumKeyExW(k, i, nm, &n, NULL, NULL, NULL, NULL))
            break;
        swprintf(sub, 600, L"%ls\\%ls", path, nm);
        char l2[16];
        snprintf(l2, sizeof l2, "%ls", nm);
        if (strlen(l2) != 3)
            snprintf(l2, sizeof l2, "%s", label);
        dump_key(root, sub, l2);
    }
    RegCloseKey(k);
}

static int ev_state(const wchar_t *name)
{
    HANDLE h = OpenEventW(SYNCHRONIZE, FALSE, name);
    if (!h)
        return -1;
    int s = WaitForSingleObject(h, 0) == WAIT_OBJECT_0;
    CloseHandle(h);
    return s;
}

static void snap(void)
{
    wchar_t n[200];
    dump_key(HKEY_LOCAL_MACHINE, L"Software\\EscHost", "R00");
    dump_key(HKEY_CURRENT_USER, L"Software\\EscHost", "R00");
    dump_key(HKEY_LOCAL_MACHINE, L"Software\\Classes\\EscR07", "R07");
    dump_key(HKEY_LOCAL_MACHINE, L"System\\ControlSet001\\Control\\EscR10", "R10");
    dump_key(HKEY_LOCAL_MACHINE, L"EscR12", "R12");
    for (size_t i = 0; i < N_OBJ; i++) {
        swprintf(n, 200, L"Esc%ls", obj_ids[i]);
        int l = ev_state(n);
        swprintf(n, 200, L"Global\\Esc%ls", obj_ids[i]);
        printf("%ls event local=%d global=%d\n", obj_ids[i], l, ev_state(n));
    }
    printf("O22 event dir=%d\n", ev_state(L"Global\\EscO22d\\E"));
    HANDLE m = OpenFileMappingW(FILE_MAP_READ, FALSE, L"EscO20");
    char *v = m ? MapViewOfFile(m, FILE_MAP_READ, 0, 0, 8) : NULL;
    printf("O20 section=%.7s\n", v ? v : "<none>");
    if (v)
        UnmapViewOfFile(v);
    if (m)
        CloseHandle(m);
    SC_HANDLE sm = OpenSCManagerW(NULL, NULL, SC_MANAGER_ALL_ACCESS);
    for (size_t i = 0; sm && i < N_SVC; i++) {
        const char *id = NULL;
        char idb[8];
        snprintf(idb, sizeof idb, "%ls", svc_ids[i] + 3);
        id = idb;
        SC_HANDLE s = OpenServiceW(sm, svc_ids[i], SERVICE_QUERY_CONFIG | SERVICE_QUERY_STATUS);
        if (!s) {
            printf("%s svc %ls missing\n", id, svc_ids[i]);
            continue;
        }
        BYTE buf[8192];
        DWORD need;
        QUERY_SERVICE_CONFIGW *c = (QUERY_SERVICE_CONFIGW *)buf;
        SERVICE_STATUS st;
        QueryServiceStatus(s, &st);
        if (QueryServiceConfigW(s, c, sizeof buf, &need))
            printf("%s svc %ls start=%lu path=%ls display=%ls state=%lu\n", id, svc_ids[i],
                   c->dwStartType, c->lpBinaryPathName, c->lpDisplayName, st.dwCurrentState);
        SERVICE_DESCRIPTIONW *d = (SERVICE_DESCRIPTIONW *)buf;
        if (QueryServiceConfig2W(s, SERVICE_CONFIG_DESCRIPTION, buf, sizeof buf, &need))
            printf("%s svc %ls description=%ls\n", id, svc_ids[i],
                   d->lpDescription ? d->lpDescription : L"");
        CloseServiceHandle(s);
    }
    if (sm) {
        SC_HANDLE s = OpenServiceW(sm, L"PlugPlay", SERVICE_QUERY_STATUS);
        SERVICE_STATUS st = {0, 0, 0, 0, 0, 0, 0};
        if (s) {
            QueryServiceStatus(s, &st);
            CloseServiceHandle(s);
        }
        printf("S08 svc PlugPlay state=%lu\n", st.dwCurrentState);
        CloseServiceHandle(sm);
    }
    fflush(stdout);
}

/* The holder: objects, pipes, mailslots, sockets; logs every contact. */
static DWORD WINAPI pipe_thread(void *arg)
{
    const wchar_t *id = arg;
    wchar_t n[100];
    swprintf(n, 100, L"\\\\.\\pipe\\Esc%ls", id);
    for (;;) {
        HANDLE p = CreateNamedPipeW(n, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE | PIPE_WAIT, 1, 512, 512, 0, NULL);
        if (p == INVALID_HANDLE_VALUE) {
            printf("%ls pipe-create-failed %lu\n", id, GetLastError());
            fflush(stdout);
            return 0;
        }
        if (ConnectNamedPipe(p, NULL) || GetLastError() == ERROR_PIPE_CONNECTED) {
            printf("%ls pipe connected\n", id);
            fflush(stdout);
        }
        DisconnectNamedPipe(p);
        CloseHandle(p);
    }
}

static void hold(int secs, int net, int base)
{
    wchar_t n[200];
    for (size_t i = 0; i < N_OBJ; i++) {
        swprintf(n, 200, L"Esc%ls", obj_ids[i]);
        CreateEventW(NULL, TRUE, FALSE, n);
        swprintf(n, 200, L"Global\\Esc%ls", obj_ids[i]);
        CreateEventW(NULL, TRUE, FALSE, n);
    }
    CreateEventW(NULL, TRUE, FALSE, L"Session\\0\\EscO05");
    {
        UNICODE_STRING u;
        OBJECT_ATTRIBUTES oa;
        HANDLE d;
        oa_init(&oa, &u, L"\\BaseNamedObjects\\EscO22d", NULL);
        typedef NTSTATUS(NTAPI * fn_cd)(PHANDLE, ACCESS_MASK, POBJECT_ATTRIBUTES);
        if (((fn_cd)ntfn("NtCreateDirectoryObject"))(&d, DIR_ALL, &oa) >= 0)
            CreateEventW(NULL, TRUE, FALSE, L"Global\\EscO22d\\E");
    }
    HANDLE sec = CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 4096, L"EscO20");
    char *v = sec ? MapViewOfFile(sec, FILE_MAP_WRITE, 0, 0, 8) : NULL;
    if (v)
        memcpy(v, "holder", 7);
    CreateMutexW(NULL, TRUE, L"EscO23");
    for (size_t i = 0; i < N_PIPE; i++)
        CloseHandle(CreateThread(NULL, 0, pipe_thread, (void *)pipe_ids[i], 0, NULL));
    HANDLE ms[2];
    ms[0] = CreateMailslotW(L"\\\\.\\mailslot\\EscQ09", 0, 0, NULL);
    ms[1] = CreateMailslotW(L"\\\\.\\mailslot\\EscQ10", 0, 0, NULL);
    SOCKET ls[16];
    int nls = 0;
    WSADATA wd;
    WSAStartup(MAKEWORD(2, 2), &wd);
    if (net) {
        for (int port = base + 2; port <= base + 10; port++) {
            struct sockaddr_in a;
            int udp = port == base + 8;
            SOCKET s = socket(AF_INET, udp ? SOCK_DGRAM : SOCK_STREAM, 0);
            sa4(&a, "127.0.0.1", port);
            if (bind(s, (struct sockaddr *)&a, sizeof a) || (!udp && listen(s, 8))) {
                printf("N%02d listen-failed %d\n", port - base, WSAGetLastError());
                closesocket(s);
                continue;
            }
            u_long nb = 1;
            ioctlsocket(s, FIONBIO, &nb);
            ls[nls++] = s;
        }
    }
    printf("ready pid=%lu tid=%lu\n", GetCurrentProcessId(), GetCurrentThreadId());
    fflush(stdout);
    for (int t = 0; t < secs * 10; t++) {
        Sleep(100);
        if (GetFileAttributesW(L"C:\\esc-given\\stop") != INVALID_FILE_ATTRIBUTES)
            break;
        for (int i = 0; i < 2; i++) {
            DWORD next = 0, count = 0;
            if (ms[i] != INVALID_HANDLE_VALUE && GetMailslotInfo(ms[i], NULL, &next, &count, NULL) &&
                next != MAILSLOT_NO_MESSAGE) {
                char b[512];
                DWORD r;
                ReadFile(ms[i], b, sizeof b, &r, NULL);
                printf("Q%02d mailslot message\n", 9 + i);
                fflush(stdout);
            }
        }
        for (int i = 0; i < nls; i++) {
            struct sockaddr_in a;
            int al = sizeof a;
            getsockname(ls[i], (struct sockaddr *)&a, &al);
            int port = ntohs(a.sin_port);
            char b[16];
            if (port == base + 8) {
                if (recvfrom(ls[i], b, sizeof b, 0, NULL, NULL) >= 0) {
                    printf("N08 udp received\n");
                    fflush(stdout);
                }
            } else {
                SOCKET c = accept(ls[i], NULL, NULL);
                if (c != INVALID_SOCKET) {
                    printf("N%02d tcp accepted\n", port - base);
                    fflush(stdout);
                    closesocket(c);
                }
            }
        }
    }
}

static int give(DWORD to, int argc, wchar_t **argv)
{
    HANDLE vm = OpenProcess(PROCESS_DUP_HANDLE, FALSE, to);
    for (int i = 0; i < argc; i++) {
        HANDLE p = OpenProcess(PROCESS_ALL_ACCESS, FALSE, (DWORD)_wtoi(argv[i])), r = NULL;
        if (!vm || !p || !DuplicateHandle(GetCurrentProcess(), p, vm, &r, 0, FALSE, DUPLICATE_SAME_ACCESS)) {
            printf("give failed %lu\n", GetLastError());
            return 1;
        }
        printf("%llu\n", (unsigned long long)(ULONG_PTR)r);
    }
    return 0;
}

int wmain(int argc, wchar_t **argv)
{
    nt = GetModuleHandleW(L"ntdll.dll");
    if (argc < 2)
        return 2;
    const wchar_t *m = argv[1];
    if (!wcscmp(m, L"setup")) {
        setup(L"host");
    } else if (!wcscmp(m, L"setup-b")) {
        setup(L"b");
    } else if (!wcscmp(m, L"snap")) {
        snap();
    } else if (!wcscmp(m, L"hold") && argc > 3) {
        hold(_wtoi(argv[2]), _wtoi(argv[3]), argc > 4 ? _wtoi(argv[4]) : 7300);
    } else if (!wcscmp(m, L"give") && argc > 2) {
        return give((DWORD)_wtoi(argv[2]), argc - 3, argv + 3);
    } else if (!wcscmp(m, L"child") && argc > 3) {
        w32_write(argv[3], OPEN_ALWAYS);
        return GetModuleHandleW(L"plume_layer.dll") ? 11 : 10;
    } else if (!wcscmp(m, L"attack") && argc > 7) {
        g_hpid = (DWORD)_wtoi(argv[2]);
        g_htid = (DWORD)_wtoi(argv[3]);
        g_bpid = (DWORD)_wtoi(argv[4]);
        g_btid = (DWORD)_wtoi(argv[5]);
        wcsncpy(g_root, argv[6], MAX_PATH - 1);
        wcsncpy(g_prefix, argv[7], MAX_PATH - 1);
        const wchar_t *only = argc > 8 ? argv[8] : L"FROQPSNK";
        if (argc > 10) {
            snprintf(g_ipb, sizeof g_ipb, "%ls", argv[9]);
            g_port = _wtoi(argv[10]);
        }
        if (wcschr(only, L'F')) files();
        if (wcschr(only, L'R')) registry();
        if (wcschr(only, L'O')) objects();
        if (wcschr(only, L'Q')) pipes();
        if (wcschr(only, L'P')) processes();
        if (wcschr(only, L'S')) services();
        if (wcschr(only, L'N')) network();
        if (wcschr(only, L'K')) unhook();
        printf("done\n");
    } else if (!wcscmp(m, L"given") && argc > 2) {
        /* Waits for FILE (written by the host) with two handle values. */
        printf("pid=%lu\n", GetCurrentProcessId());
        fflush(stdout);
        for (int i = 0; i < 300; i++) {
            FILE *f = _wfopen(argv[2], L"r");
            unsigned long long a = 0, b = 0;
            if (f) {
                int got = fscanf(f, "%llu %llu", &a, &b);
                fclose(f);
                if (got == 2) {
                    given((HANDLE)(ULONG_PTR)a, (HANDLE)(ULONG_PTR)b);
                    printf("done\n");
                    return 0;
                }
            }
            Sleep(100);
        }
        printf("given: no handles\n");
        return 1;
    } else {
        return 2;
    }
    return 0;
}
