/* The VM store: folders under <root>\vms, one per VM (see store.h).
 *
 * Changes are atomic renames: create fills <root>\vms\.tmp-<name>-<pid>
 * and renames it into place; delete renames the VM's folder to
 * <root>\vms\.del-<name>-<pid> and then removes that tree. Folders starting
 * with '.' are never VMs. A named mutex per store root serializes the
 * changing calls (create, delete, clean-up) of all plume.exe processes, so
 * that two creates cannot take the same name or address.
 *
 * Windows API only: no C runtime file I/O. */
#include "store.h"
#include "vmjob.h"
#include "jobname.h"

#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#define CONF_NAME L"vm.conf"
#define CONF_MAX (64 * 1024)    /* a vm.conf is a few lines: more is junk */
#define LONG_PATH 32768         /* wchar_t, for the \\?\ paths of a tree */

/* --- small helpers ------------------------------------------------------- */

static void set_why(char *why, size_t cap, const char *s)
{
    if (why == NULL || cap == 0)
        return;
    size_t n = strlen(s);
    if (n >= cap)
        n = cap - 1;
    memcpy(why, s, n);
    why[n] = 0;
}

/* UTF-16 -> UTF-8, always terminated, cut when it does not fit. */
static void narrow(const wchar_t *w, char *buf, size_t cap)
{
    if (cap == 0)
        return;
    int n = WideCharToMultiByte(CP_UTF8, 0, w, -1, buf, (int)cap, NULL, NULL);
    if (n <= 0) {
        size_t len = wcslen(w);
        n = 0;
        while (len > 0 && (n = WideCharToMultiByte(CP_UTF8, 0, w, (int)len, buf,
                                                   (int)cap - 1, NULL, NULL)) <= 0)
            len /= 2;
        buf[n > 0 ? n : 0] = 0;
    }
}

/* A valid VM name (ASCII) -> UTF-16. */
static void widen_name(const char *name, wchar_t out[VM_NAME_MAX + 1])
{
    size_t i = 0;
    for (; name[i] && i < VM_NAME_MAX; i++)
        out[i] = (wchar_t)(unsigned char)name[i];
    out[i] = 0;
}

/* out = a "\" b. ERROR_FILENAME_EXCED_RANGE when it does not fit in cap. */
static DWORD join(wchar_t *out, size_t cap, const wchar_t *a, const wchar_t *b)
{
    size_t na = wcslen(a), nb = wcslen(b);
    int sep = na > 0 && a[na - 1] != L'\\';
    if (na + (size_t)sep + nb + 1 > cap)
        return ERROR_FILENAME_EXCED_RANGE;
    if (out != a)
        memmove(out, a, na * sizeof(wchar_t));
    if (sep)
        out[na] = L'\\';
    memcpy(out + na + sep, b, (nb + 1) * sizeof(wchar_t));
    return 0;
}

/* Appends "-<n>" (decimal) to s, which has room (cap). */
static void append_num(wchar_t *s, size_t cap, unsigned long n)
{
    wchar_t tmp[24];
    size_t k = 0, len = wcslen(s);
    do {
        tmp[k++] = (wchar_t)(L'0' + n % 10);
        n /= 10;
    } while (n != 0);
    if (len + 1 + k + 1 > cap)
        return;
    s[len++] = L'-';
    while (k > 0)
        s[len++] = tmp[--k];
    s[len] = 0;
}

static int is_dir_attr(DWORD a)
{
    return a != INVALID_FILE_ATTRIBUTES && (a & FILE_ATTRIBUTE_DIRECTORY);
}

static int starts_with(const wchar_t *s, const wchar_t *prefix)
{
    return wcsncmp(s, prefix, wcslen(prefix)) == 0;
}

/* --- paths ------------------------------------------------------------------ */

DWORD store_root(wchar_t *buf, size_t cap)
{
    wchar_t raw[STORE_PATH_MAX];
    if (buf == NULL || cap == 0)
        return ERROR_INVALID_PARAMETER;
    buf[0] = 0;
    DWORD n = GetEnvironmentVariableW(L"PLUME_ROOT", raw, STORE_PATH_MAX);
    if (n >= STORE_PATH_MAX)
        return ERROR_FILENAME_EXCED_RANGE;
    if (n == 0) {
        /* Unset or empty: %ProgramData%\Plume. */
        n = GetEnvironmentVariableW(L"ProgramData", raw, STORE_PATH_MAX);
        if (n == 0 || n >= STORE_PATH_MAX)
            n = GetEnvironmentVariableW(L"ALLUSERSPROFILE", raw, STORE_PATH_MAX);
        if (n == 0)
            return ERROR_ENVVAR_NOT_FOUND;
        if (n >= STORE_PATH_MAX || join(raw, STORE_PATH_MAX, raw, L"Plume") != 0)
            return ERROR_FILENAME_EXCED_RANGE;
    }
    /* Absolute and normalized, so that every process names it alike. */
    n = GetFullPathNameW(raw, (DWORD)(cap > 0xffff ? 0xffff : cap), buf, NULL);
    if (n == 0)
        return GetLastError();
    if (n >= cap) {
        buf[0] = 0;
        return ERROR_FILENAME_EXCED_RANGE;
    }
    /* No trailing '\' but for a drive's root ("C:\"). */
    while (n > 3 && buf[n - 1] == L'\\')
        buf[--n] = 0;
    return 0;
}

/* <root>\vms */
static DWORD vms_dir(wchar_t *buf, size_t cap)
{
    DWORD e = store_root(buf, cap);
    return e ? e : join(buf, cap, buf, L"vms");
}

/* --- the store lock ------------------------------------------------------------ */

/* A named mutex per root (by a hash of its lower-cased path): Global\ so
 * that all sessions share it, Local\ when Global\ is not allowed. */
static HANDLE lock_store(const wchar_t *root, DWORD timeout_ms)
{
    unsigned long h = 2166136261u;
    for (const wchar_t *p = root; *p; p++) {
        wchar_t c = (*p >= L'A' && *p <= L'Z') ? (wchar_t)(*p + 32) : *p;
        h = ((h ^ (unsigned long)c) * 16777619u) & 0xffffffffu;
    }
    wchar_t name[64];
    static const wchar_t hex[] = L"0123456789abcdef";
    wcscpy(name, L"Global\\plume-store-");
    size_t at = wcslen(name);
    for (int i = 7; i >= 0; i--)
        name[at++] = hex[(h >> (i * 4)) & 15];
    name[at] = 0;
    HANDLE m = CreateMutexW(NULL, FALSE, name);
    if (m == NULL) {
        memcpy(name, L"Local\\", 6 * sizeof(wchar_t));
        memmove(name + 6, name + 7, (wcslen(name + 7) + 1) * sizeof(wchar_t));
        m = CreateMutexW(NULL, FALSE, name);
    }
    if (m == NULL)
        return NULL;
    DWORD w = WaitForSingleObject(m, timeout_ms);
    if (w != WAIT_OBJECT_0 && w != WAIT_ABANDONED) {
        CloseHandle(m);
        SetLastError(w == WAIT_TIMEOUT ? ERROR_TIMEOUT : GetLastError());
        return NULL;
    }
    return m;
}

static void unlock_store(HANDLE m)
{
    if (m != NULL) {
        ReleaseMutex(m);
        CloseHandle(m);
    }
}

/* --- trees ---------------------------------------------------------------------- */

/* path -> its \\?\ form in out[LONG_PATH], so that deep trees can go. */
static DWORD long_form(const wchar_t *path, wchar_t *out)
{
    const wchar_t *prefix = L"", *rest = path;
    if (starts_with(path, L"\\\\?\\") || starts_with(path, L"\\\\.\\")) {
        prefix = L"";
    } else if (starts_with(path, L"\\\\")) {
        prefix = L"\\\\?\\UNC\\";
        rest = path + 2;
    } else if (path[0] && path[1] == L':' && path[2] == L'\\') {
        prefix = L"\\\\?\\";
    }
    if (wcslen(prefix) + wcslen(rest) + 1 > LONG_PATH)
        return ERROR_FILENAME_EXCED_RANGE;
    wcscpy(out, prefix);
    wcscat(out, rest);
    return 0;
}

/* store.h. One walker for the store and for diff/commit/discard (vmstate.c). */
DWORD store_remove_tree_at(wchar_t *buf, size_t len)
{
    DWORD attrs = GetFileAttributesW(buf);
    if (attrs == INVALID_FILE_ATTRIBUTES) {
        DWORD e = GetLastError();
        return (e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND) ? 0 : e;
    }
    if (attrs & FILE_ATTRIBUTE_READONLY)
        SetFileAttributesW(buf, attrs & ~(DWORD)FILE_ATTRIBUTE_READONLY);
    if (!(attrs & FILE_ATTRIBUTE_DIRECTORY))
        return DeleteFileW(buf) ? 0 : GetLastError();
    DWORD err = 0;
    if (!(attrs & FILE_ATTRIBUTE_REPARSE_POINT) && len + 3 < LONG_PATH) {
        wcscpy(buf + len, L"\\*");
        WIN32_FIND_DATAW fd;
        HANDLE h = FindFirstFileExW(buf, FindExInfoBasic, &fd, FindExSearchNameMatch, NULL, 0);
        buf[len] = 0;
        if (h != INVALID_HANDLE_VALUE) {
            do {
                if (!wcscmp(fd.cFileName, L".") || !wcscmp(fd.cFileName, L".."))
                    continue;
                size_t n = wcslen(fd.cFileName);
                if (len + 1 + n + 1 > LONG_PATH) {
                    err = ERROR_FILENAME_EXCED_RANGE;
                    continue;
                }
                buf[len] = L'\\';
                memcpy(buf + len + 1, fd.cFileName, (n + 1) * sizeof(wchar_t));
                DWORD e = store_remove_tree_at(buf, len + 1 + n);
                if (e && !err)
                    err = e;
                buf[len] = 0;
            } while (FindNextFileW(h, &fd));
            FindClose(h);
        }
    }
    if (!RemoveDirectoryW(buf) && !err)
        err = GetLastError();
    return err;
}

/* Removes the tree at path (a folder; a link to one is removed itself). */
static DWORD remove_tree(const wchar_t *path)
{
    wchar_t *buf = HeapAlloc(GetProcessHeap(), 0, LONG_PATH * sizeof(wchar_t));
    if (buf == NULL)
        return ERROR_NOT_ENOUGH_MEMORY;
    DWORD e = long_form(path, buf);
    if (e == 0) {
        DWORD a = GetFileAttributesW(buf);
        if (a == INVALID_FILE_ATTRIBUTES)
            e = GetLastError();
        else if (a & FILE_ATTRIBUTE_READONLY)
            SetFileAttributesW(buf, a & ~(DWORD)FILE_ATTRIBUTE_READONLY);
        if (e == 0 && (a & FILE_ATTRIBUTE_REPARSE_POINT))
            e = RemoveDirectoryW(buf) ? 0 : GetLastError();
        else if (e == 0 && !(a & FILE_ATTRIBUTE_DIRECTORY))
            e = ERROR_DIRECTORY;    /* a folder is asked for, not a file */
        else if (e == 0)
            e = store_remove_tree_at(buf, wcslen(buf));
    }
    HeapFree(GetProcessHeap(), 0, buf);
    return e;
}

/* Creates the folder path and its missing parents. The ones it made are
 * recorded (as lengths of path) in made[], so undo_dirs can remove them. */
#define MADE_MAX 32
typedef struct made_dirs {
    size_t len[MADE_MAX];
    int n;
} made_dirs;

static DWORD make_dirs(const wchar_t *path, made_dirs *made)
{
    wchar_t buf[STORE_PATH_MAX];
    size_t n = wcslen(path);
    if (n >= STORE_PATH_MAX)
        return ERROR_FILENAME_EXCED_RANGE;
    wcscpy(buf, path);
    made->n = 0;
    if (is_dir_attr(GetFileAttributesW(buf)))
        return 0;
    /* Skip the root of the path: "C:\" or "\\server\share\". */
    size_t start = 0;
    if (n >= 3 && buf[1] == L':' && buf[2] == L'\\') {
        start = 3;
    } else if (starts_with(buf, L"\\\\")) {
        int seps = 0;
        for (start = 2; start < n && seps < 2; start++)
            if (buf[start] == L'\\')
                seps++;
    }
    for (size_t i = start; i <= n; i++) {
        if (i < n && buf[i] != L'\\')
            continue;
        if (i == start)
            continue;
        wchar_t saved = buf[i];
        buf[i] = 0;
        if (CreateDirectoryW(buf, NULL)) {
            if (made->n < MADE_MAX)
                made->len[made->n++] = i;
        } else {
            DWORD e = GetLastError();
            DWORD a = GetFileAttributesW(buf);
            if (!is_dir_attr(a)) {
                buf[i] = saved;
                return a != INVALID_FILE_ATTRIBUTES ? ERROR_DIRECTORY : e;
            }
        }
        buf[i] = saved;
    }
    return 0;
}

/* Removes (when still empty) the folders make_dirs made, deepest first. */
static void undo_dirs(const wchar_t *path, const made_dirs *made)
{
    wchar_t buf[STORE_PATH_MAX];
    wcscpy(buf, path);
    for (int i = made->n - 1; i >= 0; i--) {
        buf[made->len[i]] = 0;
        RemoveDirectoryW(buf);
    }
}

/* Writes a new file with data, flushed to disk. */
static DWORD write_new_file(const wchar_t *path, const char *data, DWORD len)
{
    HANDLE h = CreateFileW(path, GENERIC_WRITE, 0, NULL, CREATE_NEW, FILE_ATTRIBUTE_NORMAL,
                           NULL);
    if (h == INVALID_HANDLE_VALUE)
        return GetLastError();
    DWORD e = 0, done = 0;
    while (e == 0 && done < len) {
        DWORD wrote = 0;
        if (!WriteFile(h, data + done, len - done, &wrote, NULL))
            e = GetLastError();
        else if (wrote == 0)
            e = ERROR_WRITE_FAULT;
        done += wrote;
    }
    if (e == 0 && !FlushFileBuffers(h))
        e = GetLastError();
    if (!CloseHandle(h) && e == 0)
        e = GetLastError();
    return e;
}

/* --- reading a VM's folder ------------------------------------------------------- */

/* Reads and parses <dir>\vm.conf. 0, or ERROR_FILE_CORRUPT (missing or
 * malformed) or the system error, with why set. */
static DWORD read_config(const wchar_t *dir, vm_config *cfg, char *why, size_t whycap)
{
    wchar_t path[STORE_PATH_MAX];
    if (join(path, STORE_PATH_MAX, dir, CONF_NAME) != 0) {
        set_why(why, whycap, "the path of vm.conf is too long");
        return ERROR_FILENAME_EXCED_RANGE;
    }
    HANDLE h = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING,
                           FILE_ATTRIBUTE_NORMAL, NULL);
    if (h == INVALID_HANDLE_VALUE) {
        DWORD e = GetLastError();
        if (e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND) {
            set_why(why, whycap, "vm.conf is missing");
            return ERROR_FILE_CORRUPT;
        }
        set_why(why, whycap, "vm.conf cannot be opened");
        return e;
    }
    DWORD e = 0;
    LARGE_INTEGER size;
    char *text = NULL;
    DWORD got = 0;
    if (!GetFileSizeEx(h, &size)) {
        e = GetLastError();
        set_why(why, whycap, "vm.conf cannot be read");
    } else if (size.QuadPart > CONF_MAX) {
        e = ERROR_FILE_CORRUPT;
        set_why(why, whycap, "vm.conf is too large (more than 64 KiB)");
    } else if ((text = HeapAlloc(GetProcessHeap(), 0, (SIZE_T)size.QuadPart + 1)) == NULL) {
        e = ERROR_NOT_ENOUGH_MEMORY;
        set_why(why, whycap, "out of memory");
    } else {
        /* Read what is there, up to the size seen (+1 to notice growth). */
        DWORD want = (DWORD)size.QuadPart + 1;
        while (got < want) {
            DWORD n = 0;
            if (!ReadFile(h, text + got, want - got, &n, NULL)) {
                e = GetLastError();
                set_why(why, whycap, "vm.conf cannot be read");
                break;
            }
            if (n == 0)
                break;
            got += n;
        }
        if (e == 0 && got > (DWORD)size.QuadPart) {
            e = ERROR_SHARING_VIOLATION;
            set_why(why, whycap, "vm.conf changed while being read");
        }
    }
    CloseHandle(h);
    if (e == 0) {
        char err[200], msg[256];
        if (vmconfig_parse(text, got, cfg, err, sizeof err) != 0) {
            memcpy(msg, "vm.conf: ", 9);
            set_why(msg + 9, sizeof msg - 9, err);
            set_why(why, whycap, msg);
            e = ERROR_FILE_CORRUPT;
        }
    }
    if (text != NULL)
        HeapFree(GetProcessHeap(), 0, text);
    return e;
}

/* Fills e (whose folder, info.dir and info.name are set) from its vm.conf. */
static void load_entry(vm_entry *e)
{
    e->status = 0;
    e->why[0] = 0;
    const char *bad = vmname_check(e->folder);
    if (bad != NULL) {
        e->status = ERROR_FILE_CORRUPT;
        char msg[256] = "the folder's name is not a valid VM name: it ";
        set_why(msg + strlen(msg), sizeof msg - strlen(msg), bad);
        set_why(e->why, sizeof e->why, msg);
        return;
    }
    vm_config cfg;
    e->status = read_config(e->info.dir, &cfg, e->why, sizeof e->why);
    if (e->status != 0)
        return;
    if (!vmname_equal(cfg.name, e->folder)) {
        char msg[256] = "vm.conf names VM '";
        strcat(msg, cfg.name);
        strcat(msg, "', not its folder's name");
        set_why(e->why, sizeof e->why, msg);
        e->status = ERROR_FILE_CORRUPT;
        return;
    }
    e->info.cfg = cfg;
}

/* --- scanning <root>\vms --------------------------------------------------------- */

typedef struct scan_list {
    vm_entry *v;
    size_t n, cap;
} scan_list;

/* Collects the folders of vms not starting with '.', without reading
 * their configs. A missing vms folder is an empty store. */
static DWORD scan(const wchar_t *vms, scan_list *out)
{
    wchar_t pattern[STORE_PATH_MAX];
    out->v = NULL;
    out->n = out->cap = 0;
    DWORD e = join(pattern, STORE_PATH_MAX, vms, L"*");
    if (e)
        return e;
    WIN32_FIND_DATAW fd;
    HANDLE h = FindFirstFileExW(pattern, FindExInfoBasic, &fd, FindExSearchNameMatch, NULL, 0);
    if (h == INVALID_HANDLE_VALUE) {
        e = GetLastError();
        DWORD a = GetFileAttributesW(vms);
        if (a == INVALID_FILE_ATTRIBUTES && (e == ERROR_FILE_NOT_FOUND ||
                                             e == ERROR_PATH_NOT_FOUND))
            return 0;                       /* no store yet */
        if (a != INVALID_FILE_ATTRIBUTES && !is_dir_attr(a))
            return ERROR_DIRECTORY;         /* vms is a file */
        /* Keep the codes that mean something else from the store calls. */
        return e == ERROR_INVALID_NAME || e == ERROR_NOT_FOUND ? ERROR_BAD_PATHNAME : e;
    }
    do {
        if (fd.cFileName[0] == L'.' || !(fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY))
            continue;
        if (out->n == out->cap) {
            size_t cap = out->cap ? out->cap * 2 : 16;
            void *p = out->v ? HeapReAlloc(GetProcessHeap(), 0, out->v, cap * sizeof *out->v)
                             : HeapAlloc(GetProcessHeap(), 0, cap * sizeof *out->v);
            if (p == NULL) {
                e = ERROR_NOT_ENOUGH_MEMORY;
                break;
            }
            out->v = p;
            out->cap = cap;
        }
        vm_entry *v = &out->v[out->n];
        memset(v, 0, sizeof *v);
        narrow(fd.cFileName, v->folder, sizeof v->folder);
        if (join(v->info.dir, STORE_PATH_MAX, vms, fd.cFileName) != 0)
            continue;       /* cannot be one of ours: too long to be used */
        if (vmname_check(v->folder) == NULL)
            memcpy(v->info.name, v->folder, strlen(v->folder) + 1);
        out->n++;
    } while (FindNextFileW(h, &fd));
    if (e == 0 && GetLastError() != ERROR_NO_MORE_FILES)
        e = GetLastError();
    FindClose(h);
    if (e != 0) {
        if (out->v)
            HeapFree(GetProcessHeap(), 0, out->v);
        out->v = NULL;
        out->n = 0;
    }
    return e;
}

static void scan_free(scan_list *s)
{
    if (s->v)
        HeapFree(GetProcessHeap(), 0, s->v);
    s->v = NULL;
    s->n = s->cap = 0;
}

/* The entry of VM `name` (case-insensitive), or NULL. */
static vm_entry *scan_lookup(scan_list *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].info.name[0] && vmname_equal(s->v[i].info.name, name))
            return &s->v[i];
    return NULL;
}

/* Removes, best effort, what interrupted operations left in vms:
 * .del-* folders, and .tmp-<name>-<pid> folders whose process is gone.
 * Call with the store lock held. */
static void purge_leftovers(const wchar_t *vms)
{
    wchar_t pattern[STORE_PATH_MAX], path[STORE_PATH_MAX];
    if (join(pattern, STORE_PATH_MAX, vms, L".*") != 0)
        return;
    WIN32_FIND_DATAW fd;
    HANDLE h = FindFirstFileExW(pattern, FindExInfoBasic, &fd, FindExSearchNameMatch, NULL, 0);
    if (h == INVALID_HANDLE_VALUE)
        return;
    do {
        if (!(fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY))
            continue;
        int stale = starts_with(fd.cFileName, L".del-");
        if (!stale && starts_with(fd.cFileName, L".tmp-")) {
            const wchar_t *dash = wcsrchr(fd.cFileName, L'-');
            DWORD pid = (DWORD)wcstoul(dash + 1, NULL, 10);
            if (pid != 0 && pid != GetCurrentProcessId()) {
                HANDLE p = OpenProcess(SYNCHRONIZE, FALSE, pid);
                if (p != NULL)
                    CloseHandle(p);
                else
                    stale = GetLastError() == ERROR_INVALID_PARAMETER;  /* no such process */
            }
        }
        if (stale && join(path, STORE_PATH_MAX, vms, fd.cFileName) == 0)
            remove_tree(path);
    } while (FindNextFileW(h, &fd));
    FindClose(h);
}

/* Removes the VM's private registry state (src/layer/reg.c, docs/ns-reg.md):
 * HKLM\Software\Plume\VMs\<tag>, where <tag> is plume_vm_tag of the store
 * root and the VM's name. Best effort: 0 when it is gone (or never was). */
static DWORD remove_vm_registry(const wchar_t *root, const char *name)
{
    wchar_t wname[VM_NAME_MAX + 1], key[STORE_PATH_MAX + 64] = L"Software\\Plume\\VMs\\";
    uint16_t tag[VM_NAME_MAX + 16];
    widen_name(name, wname);
    if (!plume_vm_tag((const uint16_t *)root, (const uint16_t *)wname, tag,
                      sizeof tag / sizeof tag[0]))
        return ERROR_FILENAME_EXCED_RANGE;
    wcscat(key, (const wchar_t *)tag);
    LSTATUS e = RegDeleteTreeW(HKEY_LOCAL_MACHINE, key);
    return e == ERROR_FILE_NOT_FOUND ? 0 : (DWORD)e;
}

/* --- the public calls ------------------------------------------------------------ */

DWORD store_find(const char *name, vm_info *out)
{
    return store_find_why(name, out, NULL, 0);
}

DWORD store_find_why(const char *name, vm_info *out, char *why, size_t whycap)
{
    wchar_t vms[STORE_PATH_MAX];
    memset(out, 0, sizeof *out);
    set_why(why, whycap, "");
    const char *bad = name ? vmname_check(name) : "is empty";
    if (bad != NULL) {
        set_why(why, whycap, bad);
        return ERROR_INVALID_NAME;
    }
    DWORD e = vms_dir(vms, STORE_PATH_MAX);
    if (e)
        return e;
    scan_list s;
    if ((e = scan(vms, &s)) != 0)
        return e;
    vm_entry *v = scan_lookup(&s, name);
    if (v == NULL) {
        e = ERROR_NOT_FOUND;
    } else {
        load_entry(v);
        *out = v->info;
        e = v->status;
        if (e)
            set_why(why, whycap, v->why);
    }
    scan_free(&s);
    return e;
}

const char *store_ip_check(uint32_t addr)
{
    unsigned first = addr >> 24, last = addr & 0xffu;
    if (addr == 0xffffffffu)
        return "is the broadcast address";
    if (first == 0)
        return "is in 0.0.0.0/8, which means 'this host', not an address";
    if (addr == 0x7f000001u)
        return "is the host's own loopback address (leave out --ip to share the host's network)";
    if (first >= 224 && first <= 239)
        return "is a multicast address";
    if (first >= 240)
        return "is in 240.0.0.0/4, which is reserved";
    if (last == 0)
        return "ends in .0, which is a network's own address";
    if (last == 255)
        return "ends in .255, which is a network's broadcast address";
    return NULL;
}

/* GetSystemTimeAsFileTime as Unix seconds. */
static int64_t unix_now(void)
{
    FILETIME ft;
    GetSystemTimeAsFileTime(&ft);
    ULARGE_INTEGER u;
    u.LowPart = ft.dwLowDateTime;
    u.HighPart = ft.dwHighDateTime;
    return (int64_t)((u.QuadPart - 116444736000000000ULL) / 10000000ULL);
}

DWORD store_create(const char *name, const uint32_t *ip, vm_info *out,
                   char *why, size_t whycap)
{
    wchar_t root[STORE_PATH_MAX], vms[STORE_PATH_MAX], tmp[STORE_PATH_MAX],
        dir[STORE_PATH_MAX], wname[VM_NAME_MAX + 1];
    memset(out, 0, sizeof *out);
    set_why(why, whycap, "");

    /* Everything that can be refused without the store, first. */
    const char *bad = name ? vmname_check(name) : "is empty";
    if (bad != NULL) {
        set_why(why, whycap, bad);
        return ERROR_INVALID_NAME;
    }
    if (ip != NULL && (bad = store_ip_check(*ip)) != NULL) {
        set_why(why, whycap, bad);
        return ERROR_INVALID_ADDRESS;
    }
    vm_config cfg;
    memset(&cfg, 0, sizeof cfg);
    memcpy(cfg.name, name, strlen(name) + 1);
    cfg.has_ip = ip != NULL;
    cfg.ip = ip ? *ip : 0;
    cfg.created = unix_now();
    char text[512];
    size_t len = vmconfig_format(&cfg, text, sizeof text);
    if (len == 0)
        return ERROR_INVALID_DATA;

    widen_name(name, wname);
    DWORD e = store_root(root, STORE_PATH_MAX);
    if (e == 0)
        e = join(vms, STORE_PATH_MAX, root, L"vms");
    if (e == 0)
        e = join(dir, STORE_PATH_MAX, vms, wname);
    if (e == 0) {
        wchar_t leaf[64] = L".tmp-";
        wcscat(leaf, wname);
        append_num(leaf, 64, GetCurrentProcessId());
        e = join(tmp, STORE_PATH_MAX, vms, leaf);
    }
    if (e)
        return e;

    HANDLE lock = lock_store(root, 30000);
    if (lock == NULL)
        return GetLastError();

    /* The name and the address must be free. */
    scan_list s;
    e = scan(vms, &s);
    if (e == 0) {
        vm_entry *v = scan_lookup(&s, name);
        if (v != NULL) {
            memcpy(out->name, v->info.name, sizeof out->name);
            set_why(why, whycap, "a VM of that name exists");
            e = ERROR_ALREADY_EXISTS;
        }
        for (size_t i = 0; e == 0 && ip != NULL && i < s.n; i++) {
            load_entry(&s.v[i]);
            if (s.v[i].status == 0 && s.v[i].info.cfg.has_ip && s.v[i].info.cfg.ip == *ip) {
                memcpy(out->name, s.v[i].info.name, sizeof out->name);
                set_why(why, whycap, "another VM has that address");
                e = ERROR_ADDRESS_ALREADY_ASSOCIATED;
            }
        }
        scan_free(&s);
    }
    if (e) {
        unlock_store(lock);
        return e;
    }

    /* Build the VM's folder aside, then rename it into place. */
    made_dirs made;
    e = make_dirs(vms, &made);
    if (e == 0) {
        if (GetFileAttributesW(tmp) != INVALID_FILE_ATTRIBUTES)
            remove_tree(tmp);       /* left by an earlier process of our pid */
        if (!CreateDirectoryW(tmp, NULL))
            e = GetLastError();
        else {
            wchar_t conf[STORE_PATH_MAX];
            e = join(conf, STORE_PATH_MAX, tmp, CONF_NAME);
            if (e == 0)
                e = write_new_file(conf, text, (DWORD)len);
            if (e == 0 && !MoveFileExW(tmp, dir, MOVEFILE_WRITE_THROUGH)) {
                e = GetLastError();
                if (e == ERROR_ALREADY_EXISTS || e == ERROR_FILE_EXISTS ||
                    GetFileAttributesW(dir) != INVALID_FILE_ATTRIBUTES) {
                    memcpy(out->name, name, strlen(name) + 1);
                    set_why(why, whycap, "a VM of that name exists");
                    e = ERROR_ALREADY_EXISTS;
                }
            }
            if (e != 0)
                remove_tree(tmp);
        }
        if (e != 0)
            undo_dirs(vms, &made);
    }
    /* A VM's private registry lives outside its folder: what a VM of the
     * same name left (its folder deleted by hand) must not show in the new
     * one. */
    if (e == 0)
        remove_vm_registry(root, name);
    unlock_store(lock);
    if (e)
        return e;
    memcpy(out->name, name, strlen(name) + 1);
    wcscpy(out->dir, dir);
    out->cfg = cfg;
    return 0;
}

static int entry_cmp(const void *a, const void *b)
{
    const char *x = ((const vm_entry *)a)->folder, *y = ((const vm_entry *)b)->folder;
    for (size_t i = 0;; i++) {
        unsigned char cx = (unsigned char)x[i], cy = (unsigned char)y[i];
        unsigned char lx = (cx >= 'A' && cx <= 'Z') ? (unsigned char)(cx + 32) : cx;
        unsigned char ly = (cy >= 'A' && cy <= 'Z') ? (unsigned char)(cy + 32) : cy;
        if (lx != ly)
            return lx < ly ? -1 : 1;
        if (cx == 0)
            break;
    }
    return strcmp(x, y);
}

DWORD store_list(vm_entry **list, size_t *count)
{
    wchar_t root[STORE_PATH_MAX], vms[STORE_PATH_MAX];
    *list = NULL;
    *count = 0;
    DWORD e = store_root(root, STORE_PATH_MAX);
    if (e == 0)
        e = join(vms, STORE_PATH_MAX, root, L"vms");
    if (e)
        return e;
    /* Clean up after interrupted operations, unless someone is busy. */
    HANDLE lock = lock_store(root, 0);
    if (lock != NULL) {
        purge_leftovers(vms);
        unlock_store(lock);
    }
    scan_list s;
    if ((e = scan(vms, &s)) != 0)
        return e;
    for (size_t i = 0; i < s.n; i++)
        load_entry(&s.v[i]);
    if (s.n > 1)
        qsort(s.v, s.n, sizeof s.v[0], entry_cmp);
    *list = s.v;
    *count = s.n;
    return 0;
}

void store_list_free(vm_entry *list)
{
    if (list != NULL)
        HeapFree(GetProcessHeap(), 0, list);
}

DWORD store_delete(const char *name, vm_info *out, DWORD *procs, int *leftover,
                   char *why, size_t whycap)
{
    wchar_t root[STORE_PATH_MAX], vms[STORE_PATH_MAX], trash[STORE_PATH_MAX];
    memset(out, 0, sizeof *out);
    if (procs)
        *procs = 0;
    if (leftover)
        *leftover = 0;
    set_why(why, whycap, "");
    const char *bad = name ? vmname_check(name) : "is empty";
    if (bad != NULL) {
        set_why(why, whycap, bad);
        return ERROR_INVALID_NAME;
    }
    DWORD e = store_root(root, STORE_PATH_MAX);
    if (e == 0)
        e = join(vms, STORE_PATH_MAX, root, L"vms");
    if (e)
        return e;
    HANDLE lock = lock_store(root, 30000);
    if (lock == NULL)
        return GetLastError();

    scan_list s;
    if ((e = scan(vms, &s)) != 0) {
        unlock_store(lock);
        return e;
    }
    vm_entry *v = scan_lookup(&s, name);
    if (v == NULL) {
        scan_free(&s);
        unlock_store(lock);
        return ERROR_NOT_FOUND;
    }
    *out = v->info;
    scan_free(&s);

    DWORD n = vmjob_count(out->name);
    if (n > 0) {
        if (procs)
            *procs = n;
        unlock_store(lock);
        return ERROR_BUSY;
    }

    /* Move the folder out of the way: from here on the VM does not exist. */
    wchar_t wname[VM_NAME_MAX + 1];
    widen_name(out->name, wname);
    wchar_t leaf[64] = L".del-";
    wcscat(leaf, wname);
    append_num(leaf, 64, GetCurrentProcessId());
    if ((e = join(trash, STORE_PATH_MAX, vms, leaf)) != 0) {
        unlock_store(lock);
        return e;
    }
    if (GetFileAttributesW(trash) != INVALID_FILE_ATTRIBUTES) {
        remove_tree(trash);         /* left by an earlier process of our pid */
        for (unsigned long k = 2; GetFileAttributesW(trash) != INVALID_FILE_ATTRIBUTES; k++) {
            if (k > 100) {
                unlock_store(lock);
                return ERROR_ALREADY_EXISTS;
            }
            wchar_t *dash = wcsrchr(trash, L'-');
            if (k > 2)
                *dash = 0;          /* drop the previous "-<k>" */
            append_num(trash, STORE_PATH_MAX, k);
        }
    }
    if (!MoveFileExW(out->dir, trash, 0)) {
        e = GetLastError();
        set_why(why, whycap, "its folder cannot be moved away (is a file in it open?)");
        unlock_store(lock);
        return e;
    }
    /* A process may have started in between: then put it back. */
    n = vmjob_count(out->name);
    if (n > 0 && MoveFileExW(trash, out->dir, 0)) {
        if (procs)
            *procs = n;
        unlock_store(lock);
        return ERROR_BUSY;
    }

    remove_vm_registry(root, out->name);
    if (remove_tree(trash) != 0) {
        if (leftover)
            *leftover = 1;
        char path[STORE_PATH_MAX * 3];
        narrow(trash, path, sizeof path);
        set_why(why, whycap, path);
    }
    purge_leftovers(vms);
    unlock_store(lock);
    return 0;
}
