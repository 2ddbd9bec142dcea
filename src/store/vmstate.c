/* A VM's changes against the host: diff, commit, discard (see vmstate.h,
 * docs/ns-state.md).
 *
 * Files: <vm_dir>\files\X\path (private copies, new files, directories),
 * <vm_dir>\deleted\X\path (deletion markers: files; directories only hold
 * markers), <vm_dir>\origin\X\path (origin records of copy-ups). For each
 * name the three trees and the host have, sp_plan_file decides.
 *
 * Registry: HKLM\Software\Plume\VMs\<tag>\{Machine,User}\rest (private
 * keys, whose values are the whole truth) and Deleted\{Machine,User}\rest
 * (markers: the REG_DWORD value PlumeDeleted), docs/ns-reg.md.
 *
 * A commit applies each change to the host, then removes the private entry
 * that made it, so that a rerun after an interruption does only what is
 * left: files are written beside the target and renamed over it; a marker
 * goes before the private copy (a copy left alone is then "the same as the
 * host", never a deletion); markers and private parents go last (post
 * order). */
#include "vmstate.h"
#include "vmjob.h"
#include "jobname.h"
#include "regpath.h"

#include <sddl.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#define LONGP 32768         /* wchar_t: \\?\ paths and registry names */
#define NAME_CAP 260
#define REG_NAME_CAP 16384

/* --- helpers ------------------------------------------------------------------- */

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

static void utf8(const wchar_t *w, size_t n, char *buf, size_t cap)
{
    int k = n ? WideCharToMultiByte(CP_UTF8, 0, w, (int)n, buf, (int)cap - 1, NULL, NULL) : 0;
    buf[k > 0 ? k : 0] = 0;
}

static int64_t ft64(FILETIME f)
{
    return (int64_t)(((uint64_t)f.dwHighDateTime << 32) | f.dwLowDateTime);
}

/* s = a + b (+ c), within LONGP. 0 when it does not fit. */
static int cat3(wchar_t *s, const wchar_t *a, const wchar_t *b, size_t bn, const wchar_t *c)
{
    size_t an = wcslen(a), cn = c ? wcslen(c) : 0;
    if (an + bn + cn + 1 > LONGP)
        return 0;
    memmove(s, a, an * sizeof(wchar_t));
    memcpy(s + an, b, bn * sizeof(wchar_t));
    if (cn)
        memcpy(s + an + bn, c, cn * sizeof(wchar_t));
    s[an + bn + cn] = 0;
    return 1;
}

static int type_of(DWORD attrs)
{
    if (attrs == INVALID_FILE_ATTRIBUTES)
        return SP_NONE;
    return (attrs & FILE_ATTRIBUTE_DIRECTORY) ? SP_DIR : SP_FILE;
}

static DWORD remove_tree(const wchar_t *path)
{
    wchar_t *buf = malloc(LONGP * sizeof(wchar_t));
    if (!buf)
        return ERROR_NOT_ENOUGH_MEMORY;
    wcsncpy(buf, path, LONGP - 1);
    buf[LONGP - 1] = 0;
    DWORD e = store_remove_tree_at(buf, wcslen(buf));
    free(buf);
    return e;
}

/* The newest LastWriteTime in the tree at path (\\?\ form, LONGP buffer). */
static int64_t newest_at(wchar_t *buf, size_t len, int64_t best)
{
    if (len + 3 >= LONGP)
        return best;
    wcscpy(buf + len, L"\\*");
    WIN32_FIND_DATAW fd;
    HANDLE h = FindFirstFileExW(buf, FindExInfoBasic, &fd, FindExSearchNameMatch, NULL, 0);
    buf[len] = 0;
    if (h == INVALID_HANDLE_VALUE)
        return best;
    do {
        if (!wcscmp(fd.cFileName, L".") || !wcscmp(fd.cFileName, L".."))
            continue;
        int64_t t = ft64(fd.ftLastWriteTime);
        if (t > best)
            best = t;
        size_t n = wcslen(fd.cFileName);
        if ((fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) &&
            !(fd.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) && len + 1 + n + 1 < LONGP) {
            buf[len] = L'\\';
            memcpy(buf + len + 1, fd.cFileName, (n + 1) * sizeof(wchar_t));
            best = newest_at(buf, len + 1 + n, best);
            buf[len] = 0;
        }
    } while (FindNextFileW(h, &fd));
    FindClose(h);
    return best;
}

/* Reads at most cap bytes of a small file; -1 when it cannot be read. */
static long read_small(const wchar_t *path, uint8_t *buf, DWORD cap)
{
    HANDLE h = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                           NULL, OPEN_EXISTING, 0, NULL);
    if (h == INVALID_HANDLE_VALUE)
        return -1;
    DWORD got = 0;
    BOOL ok = ReadFile(h, buf, cap, &got, NULL);
    CloseHandle(h);
    return ok ? (long)got : -1;
}

/* 1 when both files have the same content. */
static int same_content(const wchar_t *a, const wchar_t *b)
{
    HANDLE ha = CreateFileW(a, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                            NULL, OPEN_EXISTING, FILE_FLAG_SEQUENTIAL_SCAN, NULL);
    if (ha == INVALID_HANDLE_VALUE)
        return 0;
    HANDLE hb = CreateFileW(b, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                            NULL, OPEN_EXISTING, FILE_FLAG_SEQUENTIAL_SCAN, NULL);
    if (hb == INVALID_HANDLE_VALUE) {
        CloseHandle(ha);
        return 0;
    }
    enum { CH = 65536 };
    uint8_t *x = malloc(2 * CH);
    int same = x != NULL;
    while (same) {
        DWORD na = 0, nb = 0;
        if (!ReadFile(ha, x, CH, &na, NULL) || !ReadFile(hb, x + CH, CH, &nb, NULL) || na != nb ||
            memcmp(x, x + CH, na) != 0) {
            same = 0;
            break;
        }
        if (na == 0)
            break;
    }
    free(x);
    CloseHandle(ha);
    CloseHandle(hb);
    return same;
}

/* Creates the missing parent directories of path (\\?\X:\...). */
static void make_parents(wchar_t *path)
{
    size_t n = wcslen(path);
    size_t start = 7;   /* after \\?\X:\ */
    for (size_t i = start; i < n; i++) {
        if (path[i] != L'\\')
            continue;
        path[i] = 0;
        if (GetFileAttributesW(path) == INVALID_FILE_ATTRIBUTES)
            CreateDirectoryW(path, NULL);
        path[i] = L'\\';
    }
}

/* --- the walk's context ------------------------------------------------------------ */

typedef struct wctx {
    const vs_opts *o;
    vs_totals *t;
    wchar_t base[STORE_PATH_MAX + 8];   /* \\?\<vm dir> */
    wchar_t store[STORE_PATH_MAX];      /* the store root, as the user spells it */
    wchar_t *rel;                       /* the walk's current relative path */
    wchar_t *p1, *p2, *p3, *p4;         /* scratch paths */
    char *u8, *u8b;                     /* scratch UTF-8 */
    long steps, crash_at;               /* PLUME_TEST_COMMIT_CRASH */
    /* registry */
    HKEY tag;                           /* HKLM\Software\Plume\VMs\<tag>, or NULL */
    wchar_t sid[192];
    size_t nsid;
    wchar_t *rest;                      /* the registry walk's current rest */
} wctx;

/* The test-only crash point: after `crash_at` steps of host writes the
 * process ends at once, as if killed (tests/cli/state.sh). */
static void step(wctx *c)
{
    c->steps++;
    if (c->crash_at > 0 && c->steps == c->crash_at)
        TerminateProcess(GetCurrentProcess(), 99);
}

static void report(wctx *c, vs_change *ch)
{
    c->t->changes++;
    if (ch->conflict)
        c->t->conflicts++;
    if (ch->done)
        c->t->done++;
    else if (ch->error)
        c->t->errors++;
    if (c->o->report)
        c->o->report(ch, c->o->ctx);
}

/* --- files --------------------------------------------------------------------------- */

typedef struct fent {
    wchar_t name[NAME_CAP];
    int src;        /* 0 private, 1 marker tree, 2 host */
    int type;       /* SP_FILE / SP_DIR */
} fent;

typedef struct flist {
    fent *v;
    size_t n, cap;
} flist;

static void list_dir(flist *l, const wchar_t *dir, int src)
{
    wchar_t *pat = malloc(LONGP * sizeof(wchar_t));
    if (!pat || !cat3(pat, dir, L"\\*", 2, NULL)) {
        free(pat);
        return;
    }
    WIN32_FIND_DATAW fd;
    HANDLE h = FindFirstFileExW(pat, FindExInfoBasic, &fd, FindExSearchNameMatch, NULL, 0);
    free(pat);
    if (h == INVALID_HANDLE_VALUE)
        return;
    do {
        if (!wcscmp(fd.cFileName, L".") || !wcscmp(fd.cFileName, L".."))
            continue;
        if (l->n == l->cap) {
            size_t nc = l->cap ? l->cap * 2 : 64;
            fent *nv = realloc(l->v, nc * sizeof *nv);
            if (!nv)
                break;
            l->v = nv;
            l->cap = nc;
        }
        fent *e = &l->v[l->n++];
        wcsncpy(e->name, fd.cFileName, NAME_CAP - 1);
        e->name[NAME_CAP - 1] = 0;
        e->src = src;
        e->type = (fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) ? SP_DIR : SP_FILE;
    } while (FindNextFileW(h, &fd));
    FindClose(h);
}

static int fent_cmp(const void *a, const void *b)
{
    const fent *x = a, *y = b;
    int r = _wcsicmp(x->name, y->name);
    return r ? r : x->src - y->src;
}

/* The four paths of rel on drive X: private, marker, origin, host. */
static int paths(wctx *c, wchar_t X, size_t rn)
{
    wchar_t sub[16];
    const wchar_t *trees[3] = { L"\\files\\", L"\\deleted\\", L"\\origin\\" };
    wchar_t *outs[3] = { c->p1, c->p2, c->p3 };
    for (int i = 0; i < 3; i++) {
        wcscpy(sub, trees[i]);
        size_t k = wcslen(sub);
        sub[k] = X;
        sub[k + 1] = 0;
        wchar_t pre[STORE_PATH_MAX + 32];
        wcscpy(pre, c->base);
        wcscat(pre, sub);
        if (!cat3(outs[i], pre, c->rel, rn, NULL))
            return 0;
    }
    wchar_t hp[8] = L"\\\\?\\X:";
    hp[4] = X;
    return cat3(c->p4, hp, c->rel, rn, rn ? NULL : L"\\");
}

/* The display form of X:rel (UTF-8, c->u8); dir adds a trailing '\'. */
static const char *disp(wctx *c, wchar_t X, size_t rn, int dir)
{
    wchar_t *w = malloc(LONGP * sizeof(wchar_t));
    if (!w) {
        strcpy(c->u8, "?");
        return c->u8;
    }
    wchar_t d[3] = { X, L':', 0 };
    cat3(w, d, c->rel, rn, (rn == 0 || dir) ? L"\\" : NULL);
    utf8(w, wcslen(w), c->u8, LONGP * 3);
    free(w);
    return c->u8;
}

/* Is the store at or under the host path X:rel (then it must not go)? */
static int holds_store(wctx *c, wchar_t X, size_t rn)
{
    wchar_t d[3] = { X, L':', 0 };
    wchar_t *w = malloc(LONGP * sizeof(wchar_t));
    if (!w)
        return 1;
    cat3(w, d, c->rel, rn, rn ? NULL : L"\\");
    int r = sp_under((const uint16_t *)c->store, wcslen(c->store), (const uint16_t *)w, wcslen(w));
    free(w);
    return r;
}

/* Copies the private file (p1) to the host (p4): written beside the target
 * as <target>.plume-commit, then renamed over it. */
static DWORD copy_to_host(wctx *c)
{
    wchar_t *tmp = c->p3;   /* the origin path is not needed any more here */
    if (!cat3(tmp, c->p4, L".plume-commit", 13, NULL))
        return ERROR_FILENAME_EXCED_RANGE;
    make_parents(c->p4);
    DWORD a = GetFileAttributesW(tmp);
    if (a != INVALID_FILE_ATTRIBUTES && (a & FILE_ATTRIBUTE_READONLY))
        SetFileAttributesW(tmp, a & ~(DWORD)FILE_ATTRIBUTE_READONLY);
    if (!CopyFileW(c->p1, tmp, FALSE))
        return GetLastError();
    step(c);    /* the temporary copy is written, the target not yet replaced */
    a = GetFileAttributesW(c->p4);
    if (a != INVALID_FILE_ATTRIBUTES && (a & FILE_ATTRIBUTE_READONLY))
        SetFileAttributesW(c->p4, a & ~(DWORD)FILE_ATTRIBUTE_READONLY);
    if (!MoveFileExW(tmp, c->p4, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)) {
        DWORD e = GetLastError();
        DeleteFileW(tmp);
        return e;
    }
    return 0;
}

static void walk_files(wctx *c, wchar_t X, size_t rn, int opaque, int64_t mtime);

/* After the entry at rel is done: drop its marker, origin record and
 * private file (in that order), or its emptied directories. */
static void drop_entry(wctx *c, wchar_t X, size_t rn, const sp_facts *f)
{
    if (!paths(c, X, rn))
        return;
    if (f->marker)
        DeleteFileW(c->p2);
    else
        RemoveDirectoryW(c->p2);     /* a marker container, when empty */
    DWORD oa = GetFileAttributesW(c->p3);
    if (type_of(oa) == SP_FILE)
        DeleteFileW(c->p3);
    else if (oa != INVALID_FILE_ATTRIBUTES)
        RemoveDirectoryW(c->p3);
    if (f->priv == SP_FILE) {
        DWORD a = GetFileAttributesW(c->p1);
        if (a != INVALID_FILE_ATTRIBUTES && (a & FILE_ATTRIBUTE_READONLY))
            SetFileAttributesW(c->p1, a & ~(DWORD)FILE_ATTRIBUTE_READONLY);
        DeleteFileW(c->p1);
    } else if (f->priv == SP_DIR) {
        RemoveDirectoryW(c->p1);     /* only when its children all went */
    }
}

static void do_entry(wctx *c, wchar_t X, size_t rn, int ptype, int mtype, int opaque,
                     int64_t mtime)
{
    if (!paths(c, X, rn))
        return;
    sp_facts f;
    memset(&f, 0, sizeof f);
    f.priv = ptype;
    f.marker = mtype == SP_FILE;
    f.opaque = opaque;
    f.mark_time = mtime;
    WIN32_FILE_ATTRIBUTE_DATA ad;
    if (GetFileAttributesExW(c->p4, GetFileExInfoStandard, &ad)) {
        f.host = type_of(ad.dwFileAttributes);
        f.host_lwt = ft64(ad.ftLastWriteTime);
        f.host_size = (int64_t)(((uint64_t)ad.nFileSizeHigh << 32) | ad.nFileSizeLow);
    }
    if (f.marker && GetFileAttributesExW(c->p2, GetFileExInfoStandard, &ad)) {
        f.mark_time = ft64(ad.ftLastWriteTime);
        uint8_t b[64];
        long n = read_small(c->p2, b, sizeof b);
        f.has_morigin = n > 0 && sp_origin_parse(b, (size_t)n, &f.morigin) == 1;
    }
    if (f.priv == SP_FILE) {
        if (GetFileAttributesExW(c->p1, GetFileExInfoStandard, &ad))
            f.priv_ctime = ft64(ad.ftCreationTime);
        uint8_t b[64];
        long n = read_small(c->p3, b, sizeof b);
        f.has_origin = n > 0 && sp_origin_parse(b, (size_t)n, &f.origin) == 1;
        if (f.host == SP_FILE) {
            int64_t psize = (int64_t)(((uint64_t)ad.nFileSizeHigh << 32) | ad.nFileSizeLow);
            f.same = psize == f.host_size && same_content(c->p1, c->p4);
        }
    }
    if (f.host == SP_DIR && f.priv != SP_DIR) {
        wchar_t *buf = c->p3;   /* reused: p4 stays */
        wcscpy(buf, c->p4);
        f.host_lwt = newest_at(buf, wcslen(buf), f.host_lwt);
        paths(c, X, rn);
    }
    sp_plan p;
    sp_plan_file(&f, &p);

    wchar_t *dname = malloc(LONGP * sizeof(wchar_t));
    if (!dname)
        return;
    wchar_t dd[3] = { X, L':', 0 };
    cat3(dname, dd, c->rel, rn, rn ? NULL : L"\\");
    int sel = sp_select(c->o->filters, c->o->nf, SP_K_FILE, (const uint16_t *)dname,
                        wcslen(dname));
    if (sp_internal_file((const uint16_t *)dname, wcslen(dname)))
        sel = SP_UNRELATED;   /* the manager's own log and record */
    free(dname);
    if (sel == SP_UNRELATED)
        return;
    int64_t child_mtime = f.marker ? f.mark_time : mtime;

    if (sel == SP_ANCESTOR) {
        /* Only on the way to a selected path: walk, then drop what is
         * now a no-op (an empty private copy of a host directory). */
        if (p.recurse || mtype == SP_DIR)
            walk_files(c, X, rn, p.child_opaque || opaque, child_mtime);
        if (c->o->commit && paths(c, X, rn)) {
            if (mtype == SP_DIR)
                RemoveDirectoryW(c->p2);
            if (f.priv == SP_DIR && f.host == SP_DIR && !f.marker && !opaque)
                RemoveDirectoryW(c->p1);
        }
        return;
    }

    if (p.change != SPC_NONE) {
        vs_change ch;
        memset(&ch, 0, sizeof ch);
        ch.kind = VS_FILE;
        ch.change = p.change;
        ch.conflict = p.conflict;
        ch.dir = p.change == SPC_DELETED ? f.host == SP_DIR : f.priv == SP_DIR;
        ch.path = disp(c, X, rn, ch.dir);
        if (c->o->commit && (!p.conflict || c->o->overwrite)) {
            DWORD e = 0;
            const char *why = NULL;
            if (p.del_host) {
                if (holds_store(c, X, rn)) {
                    e = ERROR_ACCESS_DENIED;
                    why = "it holds Plume's store";
                } else {
                    paths(c, X, rn);
                    wcscpy(c->p3, c->p4);
                    e = store_remove_tree_at(c->p3, wcslen(c->p3));
                    if (e)
                        why = "cannot delete the host's entry";
                    else
                        step(c);
                }
                paths(c, X, rn);
            }
            if (!e && p.mkdir) {
                make_parents(c->p4);
                if (!CreateDirectoryW(c->p4, NULL) && GetLastError() != ERROR_ALREADY_EXISTS) {
                    e = GetLastError();
                    why = "cannot create the directory on the host";
                } else {
                    step(c);
                }
            }
            if (!e && p.copy) {
                e = copy_to_host(c);
                if (e)
                    why = "cannot write the file on the host";
                else
                    step(c);
            }
            ch.done = e == 0;
            ch.error = e;
            ch.why = why;
            report(c, &ch);
            if (e)
                return;     /* the private entry stays: a rerun tries again */
        } else {
            report(c, &ch);
            if (c->o->commit)
                return;     /* a conflict: left in the VM */
        }
    } else if (p.conflict && c->o->commit && !c->o->overwrite) {
        return;
    }
    /* Below a deleted host entry, a diff reports only the entry itself; a
     * commit walks on to drop the markers below. */
    if (p.recurse || (mtype == SP_DIR && (p.change != SPC_DELETED || c->o->commit)))
        walk_files(c, X, rn, p.child_opaque || opaque, child_mtime);
    if (c->o->commit && p.drop)
        drop_entry(c, X, rn, &f);
    else if (c->o->commit && mtype == SP_DIR && paths(c, X, rn))
        RemoveDirectoryW(c->p2);
}

/* Walks the children of rel (length rn) on drive X. */
static void walk_files(wctx *c, wchar_t X, size_t rn, int opaque, int64_t mtime)
{
    flist l = { 0 };
    if (!paths(c, X, rn))
        return;
    list_dir(&l, c->p1, 0);
    list_dir(&l, c->p2, 1);
    if (opaque)
        list_dir(&l, c->p4, 2);
    if (l.n > 1)
        qsort(l.v, l.n, sizeof l.v[0], fent_cmp);
    for (size_t i = 0; i < l.n;) {
        int ptype = SP_NONE, mtype = SP_NONE;
        size_t j = i;
        for (; j < l.n && !_wcsicmp(l.v[j].name, l.v[i].name); j++) {
            if (l.v[j].src == 0)
                ptype = l.v[j].type;
            else if (l.v[j].src == 1)
                mtype = l.v[j].type;
        }
        size_t n = wcslen(l.v[i].name);
        if (rn + 1 + n + 1 < LONGP) {
            c->rel[rn] = L'\\';
            memcpy(c->rel + rn + 1, l.v[i].name, n * sizeof(wchar_t));
            do_entry(c, X, rn + 1 + n, ptype, mtype, opaque, mtime);
        }
        i = j;
    }
    free(l.v);
}

static void walk_all_files(wctx *c)
{
    /* The drives: single letters in files\ and deleted\. */
    int drives[26] = { 0 };
    const wchar_t *trees[2] = { L"\\files\\*", L"\\deleted\\*" };
    for (int t = 0; t < 2; t++) {
        if (!cat3(c->p1, c->base, trees[t], wcslen(trees[t]), NULL))
            continue;
        WIN32_FIND_DATAW fd;
        HANDLE h = FindFirstFileExW(c->p1, FindExInfoBasic, &fd, FindExSearchNameMatch, NULL, 0);
        if (h == INVALID_HANDLE_VALUE)
            continue;
        do {
            wchar_t ch = fd.cFileName[0];
            if (fd.cFileName[1] == 0 && (fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)) {
                if (ch >= L'a' && ch <= L'z')
                    ch = (wchar_t)(ch - 32);
                if (ch >= L'A' && ch <= L'Z')
                    drives[ch - L'A'] = 1;
            }
        } while (FindNextFileW(h, &fd));
        FindClose(h);
    }
    for (int d = 0; d < 26; d++)
        if (drives[d])
            walk_files(c, (wchar_t)(L'A' + d), 0, 0, 0);
}

/* --- registry ------------------------------------------------------------------------- */

static const wchar_t *const reg_roots[2] = { L"Machine", L"User" };
static const wchar_t *const reg_del_roots[2] = { L"Deleted\\Machine", L"Deleted\\User" };
static const wchar_t *const reg_virt[2] = { L"\\REGISTRY\\MACHINE", L"\\REGISTRY\\USER" };

/* Opens <tree><rest> below the tag key (tree: reg_roots / reg_del_roots). */
static HKEY open_priv(wctx *c, const wchar_t *tree, size_t rn, REGSAM sam)
{
    if (!cat3(c->p1, tree, c->rest, rn, NULL))
        return NULL;
    HKEY k = NULL;
    return RegOpenKeyExW(c->tag, c->p1, 0, sam, &k) == 0 ? k : NULL;
}

static HKEY open_host(wctx *c, int root, size_t rn, REGSAM sam)
{
    HKEY k = NULL;
    HKEY top = root ? HKEY_USERS : HKEY_LOCAL_MACHINE;
    if (rn == 0)
        return RegOpenKeyExW(top, NULL, 0, sam, &k) == 0 ? k : NULL;
    memcpy(c->p2, c->rest + 1, (rn - 1) * sizeof(wchar_t));
    c->p2[rn - 1] = 0;
    return RegOpenKeyExW(top, c->p2, 0, sam, &k) == 0 ? k : NULL;
}

/* The display name of root+rest in c->u8 (+ "\" value into c->u8b). */
static const char *reg_disp(wctx *c, int root, size_t rn)
{
    wchar_t *v = c->p3, *out = c->p4;
    if (!cat3(v, reg_virt[root], c->rest, rn, NULL))
        return "?";
    size_t n = sp_reg_display((const uint16_t *)v, wcslen(v), (const uint16_t *)c->sid, c->nsid,
                              (uint16_t *)out, LONGP);
    utf8(out, n, c->u8, LONGP * 3);
    return c->u8;
}

/* A value: name, type, data. */
typedef struct rval {
    wchar_t *name;
    DWORD type, len;
    BYTE *data;
} rval;

typedef struct rvals {
    rval *v;
    size_t n;
} rvals;

static void free_vals(rvals *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->v[i].name);
        free(r->v[i].data);
    }
    free(r->v);
    r->v = NULL;
    r->n = 0;
}

static void read_vals(HKEY k, rvals *r)
{
    r->v = NULL;
    r->n = 0;
    if (!k)
        return;
    DWORD count = 0, maxname = 0, maxdata = 0;
    if (RegQueryInfoKeyW(k, NULL, NULL, NULL, NULL, NULL, NULL, &count, &maxname, &maxdata, NULL,
                         NULL) != 0 || count == 0)
        return;
    r->v = calloc(count, sizeof *r->v);
    if (!r->v)
        return;
    for (DWORD i = 0; i < count; i++) {
        DWORD nl = maxname + 2, dl = maxdata + 2;
        wchar_t *name = malloc(nl * sizeof(wchar_t));
        BYTE *data = malloc(dl);
        DWORD type = 0;
        if (!name || !data || RegEnumValueW(k, i, name, &nl, NULL, &type, data, &dl) != 0) {
            free(name);
            free(data);
            continue;
        }
        rval *x = &r->v[r->n++];
        x->name = name;
        x->type = type;
        x->len = dl;
        x->data = data;
    }
}

static rval *find_val(rvals *r, const wchar_t *name)
{
    for (size_t i = 0; i < r->n; i++)
        if (!_wcsicmp(r->v[i].name, name))
            return &r->v[i];
    return NULL;
}

/* Subkey names of k appended to l (src). */
static void list_keys(flist *l, HKEY k, int src)
{
    if (!k)
        return;
    for (DWORD i = 0;; i++) {
        wchar_t name[NAME_CAP];
        DWORD nl = NAME_CAP;
        LSTATUS e = RegEnumKeyExW(k, i, name, &nl, NULL, NULL, NULL, NULL);
        if (e == ERROR_MORE_DATA)
            continue;
        if (e != 0)
            break;
        if (regpath_is_tmp((const uint16_t *)name, nl))
            continue;   /* a registry copy-up's temporary: not a key (docs/ns-reg.md) */
        if (l->n == l->cap) {
            size_t nc = l->cap ? l->cap * 2 : 32;
            fent *nv = realloc(l->v, nc * sizeof *nv);
            if (!nv)
                break;
            l->v = nv;
            l->cap = nc;
        }
        fent *x = &l->v[l->n++];
        wcscpy(x->name, name);
        x->src = src;
        x->type = SP_DIR;
    }
}

static int has_subkeys(HKEY k)
{
    DWORD n = 0;
    return k && RegQueryInfoKeyW(k, NULL, NULL, NULL, &n, NULL, NULL, NULL, NULL, NULL, NULL,
                                 NULL) == 0 && n > 0;
}

static void value_report(wctx *c, int root, size_t rn, const wchar_t *name, int change,
                         int done, DWORD err)
{
    vs_change ch;
    memset(&ch, 0, sizeof ch);
    ch.kind = VS_VALUE;
    ch.change = change;
    reg_disp(c, root, rn);
    char *nm = c->u8b;
    utf8(name, wcslen(name), nm, 4096);
    size_t kl = strlen(c->u8);
    char *path = malloc(kl + strlen(nm) + 16);
    if (!path)
        return;
    memcpy(path, c->u8, kl);
    path[kl] = '\\';
    strcpy(path + kl + 1, nm[0] ? nm : "(default)");
    ch.path = path;
    ch.key = c->u8;
    ch.name = nm;
    ch.done = done;
    ch.error = err;
    ch.why = err ? "cannot write the value on the host" : NULL;
    report(c, &ch);
    free(path);
}

static void key_report(wctx *c, int root, size_t rn, int change, int done, DWORD err,
                       const char *why)
{
    vs_change ch;
    memset(&ch, 0, sizeof ch);
    ch.kind = VS_KEY;
    ch.change = change;
    ch.path = reg_disp(c, root, rn);
    ch.done = done;
    ch.error = err;
    ch.why = why;
    report(c, &ch);
}

/* Compares (and, committing, applies) the values of private key pk to the
 * host key (hk, created when NULL and committing). Returns the number of
 * differences left; *hkp gets the host key. */
static int sync_values(wctx *c, int root, size_t rn, HKEY pk, HKEY *hkp, int added,
                       int selected)
{
    rvals pv, hv;
    read_vals(pk, &pv);
    read_vals(*hkp, &hv);
    int left = 0;
    if (selected && c->o->commit && *hkp == NULL) {
        HKEY top = root ? HKEY_USERS : HKEY_LOCAL_MACHINE;
        memcpy(c->p2, c->rest + 1, (rn ? rn - 1 : 0) * sizeof(wchar_t));
        c->p2[rn ? rn - 1 : 0] = 0;
        HKEY k = NULL;
        LSTATUS e = RegCreateKeyExW(top, c->p2, 0, NULL, 0, KEY_READ | KEY_WRITE, NULL, &k, NULL);
        if (e == 0) {
            *hkp = k;
            step(c);
        }
        key_report(c, root, rn, SPC_ADDED, e == 0, (DWORD)e,
                   e ? "cannot create the key on the host" : NULL);
        if (e) {
            free_vals(&pv);
            free_vals(&hv);
            return 1;
        }
    } else if (selected && added) {
        key_report(c, root, rn, SPC_ADDED, 0, 0, NULL);
    }
    for (size_t i = 0; i < pv.n; i++) {
        rval *a = &pv.v[i], *b = find_val(&hv, a->name);
        if (b && b->type == a->type && b->len == a->len && !memcmp(b->data, a->data, a->len))
            continue;
        left++;
        if (!selected)
            continue;
        DWORD e = 0;
        if (c->o->commit) {
            e = (DWORD)RegSetValueExW(*hkp, a->name, 0, a->type, a->data, a->len);
            if (!e) {
                left--;
                step(c);
            }
        }
        value_report(c, root, rn, a->name, b ? SPC_MODIFIED : SPC_ADDED, c->o->commit && !e, e);
    }
    for (size_t i = 0; i < hv.n; i++) {
        rval *b = &hv.v[i];
        if (find_val(&pv, b->name))
            continue;
        left++;
        if (!selected)
            continue;
        DWORD e = 0;
        if (c->o->commit) {
            e = (DWORD)RegDeleteValueW(*hkp, b->name);
            if (!e) {
                left--;
                step(c);
            }
        }
        value_report(c, root, rn, b->name, SPC_DELETED, c->o->commit && !e, e);
    }
    free_vals(&pv);
    free_vals(&hv);
    return left;
}

/* \REGISTRY\MACHINE\Software\Plume and below: Plume's own, never a change. */
static int reg_hidden(wctx *c, int root, size_t rn)
{
    static const wchar_t h[] = L"\\Software\\Plume";
    size_t hn = wcslen(h);
    return root == 0 && rn >= hn && !_wcsnicmp(c->rest, h, hn) &&
           (rn == hn || c->rest[hn] == L'\\');
}

static void walk_reg(wctx *c, int root, size_t rn, int opaque);

/* One key: rest[0..rn). */
static void do_key(wctx *c, int root, size_t rn, int opaque)
{
    if (reg_hidden(c, root, rn))
        return;
    wchar_t *v = malloc(LONGP * sizeof(wchar_t));
    if (!v || !cat3(v, reg_virt[root], c->rest, rn, NULL)) {
        free(v);
        return;
    }
    int sel = sp_select(c->o->filters, c->o->nf, SP_K_REG, (const uint16_t *)v, wcslen(v));
    free(v);
    if (sel == SP_UNRELATED)
        return;
    REGSAM sam = KEY_READ | (c->o->commit ? KEY_WRITE | DELETE : 0);
    HKEY pk = open_priv(c, reg_roots[root], rn, sam);
    HKEY mk = open_priv(c, reg_del_roots[root], rn, sam);
    HKEY hk = open_host(c, root, rn, KEY_READ | (c->o->commit ? KEY_WRITE : 0));
    if (!hk && c->o->commit)
        hk = open_host(c, root, rn, KEY_READ);
    int marker = mk && RegQueryValueExW(mk, L"PlumeDeleted", NULL, NULL, NULL, NULL) == 0;
    int gone = marker || opaque;
    int selected = sel == SP_SELECTED;

    if (!pk) {
        if (gone && hk) {
            /* Deleted in the VM: the host tree goes. */
            if (selected) {
                DWORD e = 0;
                if (c->o->commit) {
                    RegCloseKey(hk);
                    hk = NULL;
                    HKEY top = root ? HKEY_USERS : HKEY_LOCAL_MACHINE;
                    memcpy(c->p2, c->rest + 1, (rn - 1) * sizeof(wchar_t));
                    c->p2[rn - 1] = 0;
                    e = (DWORD)RegDeleteTreeW(top, c->p2);
                    if (e == ERROR_FILE_NOT_FOUND)
                        e = 0;
                    if (!e)
                        step(c);
                }
                key_report(c, root, rn, SPC_DELETED, c->o->commit && !e, e,
                           e ? "cannot delete the key on the host" : NULL);
                if (c->o->commit && !e && mk) {
                    RegCloseKey(mk);
                    mk = NULL;
                    cat3(c->p1, reg_del_roots[root], c->rest, rn, NULL);
                    RegDeleteTreeW(c->tag, c->p1);
                }
            }
        } else if (mk) {
            if (!marker)
                walk_reg(c, root, rn, opaque);   /* markers below */
            if (c->o->commit && selected) {
                if (marker && !hk) {
                    /* Nothing left to delete on the host: the marker goes. */
                    RegCloseKey(mk);
                    mk = NULL;
                    cat3(c->p1, reg_del_roots[root], c->rest, rn, NULL);
                    RegDeleteTreeW(c->tag, c->p1);
                } else if (!has_subkeys(mk)) {
                    RegCloseKey(mk);
                    mk = NULL;
                    cat3(c->p1, reg_del_roots[root], c->rest, rn, NULL);
                    DWORD nv = 0;
                    HKEY t = NULL;
                    if (RegOpenKeyExW(c->tag, c->p1, 0, KEY_READ, &t) == 0) {
                        RegQueryInfoKeyW(t, NULL, NULL, NULL, NULL, NULL, NULL, &nv, NULL, NULL,
                                         NULL, NULL);
                        RegCloseKey(t);
                    }
                    if (nv == 0 && rn > 0)
                        RegDeleteKeyW(c->tag, c->p1);
                }
            }
        }
        goto out;
    }

    /* A private key: its values are the truth; host-only subkeys go when
     * the key (or a parent) was deleted and re-created. */
    int left = sync_values(c, root, rn, pk, &hk, hk == NULL, selected);
    if (left && c->o->commit && selected)
        goto out;   /* a failure: keep everything for a rerun */
    walk_reg(c, root, rn, gone);
    if (c->o->commit && (selected || left == 0) && rn > 0) {
        /* Drop the marker, then the private key once nothing is below. */
        if (mk && selected) {
            RegCloseKey(mk);
            mk = NULL;
            cat3(c->p1, reg_del_roots[root], c->rest, rn, NULL);
            RegDeleteTreeW(c->tag, c->p1);
        }
        if (!has_subkeys(pk) && (mk == NULL || !has_subkeys(mk)) && (!marker || mk == NULL)) {
            RegCloseKey(pk);
            pk = NULL;
            cat3(c->p1, reg_roots[root], c->rest, rn, NULL);
            RegDeleteKeyW(c->tag, c->p1);
        }
    }
out:
    if (pk)
        RegCloseKey(pk);
    if (mk)
        RegCloseKey(mk);
    if (hk)
        RegCloseKey(hk);
}

/* The children of key rest[0..rn). */
static void walk_reg(wctx *c, int root, size_t rn, int opaque)
{
    flist l = { 0 };
    HKEY pk = open_priv(c, reg_roots[root], rn, KEY_READ);
    HKEY mk = open_priv(c, reg_del_roots[root], rn, KEY_READ);
    list_keys(&l, pk, 0);
    list_keys(&l, mk, 1);
    if (opaque && pk) {
        HKEY hk = open_host(c, root, rn, KEY_READ);
        list_keys(&l, hk, 2);
        if (hk)
            RegCloseKey(hk);
    }
    if (pk)
        RegCloseKey(pk);
    if (mk)
        RegCloseKey(mk);
    if (l.n > 1)
        qsort(l.v, l.n, sizeof l.v[0], fent_cmp);
    for (size_t i = 0; i < l.n;) {
        size_t j = i;
        while (j < l.n && !_wcsicmp(l.v[j].name, l.v[i].name))
            j++;
        size_t n = wcslen(l.v[i].name);
        if (rn + 1 + n + 1 < REG_NAME_CAP) {
            c->rest[rn] = L'\\';
            memcpy(c->rest + rn + 1, l.v[i].name, n * sizeof(wchar_t));
            c->rest[rn + 1 + n] = 0;
            do_key(c, root, rn + 1 + n, opaque);
        }
        i = j;
    }
    free(l.v);
}

/* --- public ------------------------------------------------------------------------------- */

DWORD vs_user_sid(wchar_t *buf, size_t cap)
{
    HANDLE tok;
    if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &tok))
        return GetLastError();
    BYTE tu[512];
    DWORD len = 0;
    DWORD e = 0;
    if (!GetTokenInformation(tok, TokenUser, tu, sizeof tu, &len)) {
        e = GetLastError();
    } else {
        wchar_t *s = NULL;
        if (!ConvertSidToStringSidW(((TOKEN_USER *)tu)->User.Sid, &s)) {
            e = GetLastError();
        } else {
            if (wcslen(s) + 1 > cap)
                e = ERROR_INSUFFICIENT_BUFFER;
            else
                wcscpy(buf, s);
            LocalFree(s);
        }
    }
    CloseHandle(tok);
    return e;
}

/* The key name of the VM's private registry tree, below HKLM. */
static DWORD tag_key(const vm_info *vm, wchar_t *out, size_t cap)
{
    wchar_t root[STORE_PATH_MAX], wname[VM_NAME_MAX + 1];
    uint16_t tag[VM_NAME_MAX + 32];
    DWORD e = store_root(root, STORE_PATH_MAX);
    if (e)
        return e;
    size_t i = 0;
    for (; vm->name[i] && i < VM_NAME_MAX; i++)
        wname[i] = (wchar_t)(unsigned char)vm->name[i];
    wname[i] = 0;
    if (!plume_vm_tag((const uint16_t *)root, (const uint16_t *)wname, tag,
                      sizeof tag / sizeof tag[0]))
        return ERROR_FILENAME_EXCED_RANGE;
    if (wcslen(L"Software\\Plume\\VMs\\") + wcslen((const wchar_t *)tag) + 1 > cap)
        return ERROR_FILENAME_EXCED_RANGE;
    wcscpy(out, L"Software\\Plume\\VMs\\");
    wcscat(out, (const wchar_t *)tag);
    return 0;
}

static DWORD vm_base(const vm_info *vm, wchar_t *out)
{
    const wchar_t *d = vm->dir;
    if (wcslen(d) + 5 > STORE_PATH_MAX + 8)
        return ERROR_FILENAME_EXCED_RANGE;
    if (d[0] && d[1] == L':' && d[2] == L'\\') {
        wcscpy(out, L"\\\\?\\");
        wcscat(out, d);
    } else {
        wcscpy(out, d);
    }
    return 0;
}

DWORD vs_walk(const vm_info *vm, const vs_opts *o, vs_totals *t)
{
    memset(t, 0, sizeof *t);
    wctx *c = calloc(1, sizeof *c);
    if (!c)
        return ERROR_NOT_ENOUGH_MEMORY;
    c->o = o;
    c->t = t;
    DWORD e = vm_base(vm, c->base);
    if (!e)
        e = store_root(c->store, STORE_PATH_MAX);
    c->rel = malloc(LONGP * sizeof(wchar_t));
    c->rest = malloc(REG_NAME_CAP * sizeof(wchar_t));
    c->p1 = malloc(LONGP * sizeof(wchar_t));
    c->p2 = malloc(LONGP * sizeof(wchar_t));
    c->p3 = malloc(LONGP * sizeof(wchar_t));
    c->p4 = malloc(LONGP * sizeof(wchar_t));
    c->u8 = malloc(LONGP * 3);
    c->u8b = malloc(4096);
    if (!e && (!c->rel || !c->rest || !c->p1 || !c->p2 || !c->p3 || !c->p4 || !c->u8 || !c->u8b))
        e = ERROR_NOT_ENOUGH_MEMORY;
    char env[32];
    DWORD n = GetEnvironmentVariableA("PLUME_TEST_COMMIT_CRASH", env, sizeof env);
    if (n > 0 && n < sizeof env)
        c->crash_at = atol(env);
    if (!e && vs_user_sid(c->sid, sizeof c->sid / sizeof c->sid[0]) == 0)
        c->nsid = wcslen(c->sid);
    if (!e) {
        c->rel[0] = 0;
        walk_all_files(c);
        wchar_t key[STORE_PATH_MAX + 64];
        if (tag_key(vm, key, sizeof key / sizeof key[0]) == 0 &&
            RegOpenKeyExW(HKEY_LOCAL_MACHINE, key, 0,
                          KEY_READ | (o->commit ? KEY_WRITE | DELETE : 0), &c->tag) == 0) {
            for (int root = 0; root < 2; root++) {
                c->rest[0] = 0;
                walk_reg(c, root, 0, 0);
                /* The root key's own values (rare): a change like any other. */
            }
            RegCloseKey(c->tag);
        }
    }
    free(c->rel);
    free(c->rest);
    free(c->p1);
    free(c->p2);
    free(c->p3);
    free(c->p4);
    free(c->u8);
    free(c->u8b);
    free(c);
    return e;
}

DWORD vs_discard(const vm_info *vm, char *why, size_t whycap)
{
    wchar_t base[STORE_PATH_MAX + 8], path[STORE_PATH_MAX + 64], aside[STORE_PATH_MAX + 64];
    set_why(why, whycap, "");
    DWORD e = vm_base(vm, base), first = 0;
    if (e)
        return e;
    /* Each tree is renamed aside first (atomic), then removed; a leftover
     * of an interrupted discard is removed by the next one. */
    static const wchar_t *const trees[3] = { L"files", L"deleted", L"origin" };
    for (int i = 0; i < 3; i++) {
        wcscpy(path, base);
        wcscat(path, L"\\");
        wcscat(path, trees[i]);
        wcscpy(aside, base);
        wcscat(aside, L"\\.discard-");
        wcscat(aside, trees[i]);
        if (GetFileAttributesW(aside) != INVALID_FILE_ATTRIBUTES)
            remove_tree(aside);
        if (GetFileAttributesW(path) != INVALID_FILE_ATTRIBUTES &&
            !MoveFileExW(path, aside, 0)) {
            e = GetLastError();
            if (!first) {
                first = e;
                set_why(why, whycap, "a folder of the VM cannot be moved away (is a file in it open?)");
            }
            continue;
        }
        e = remove_tree(aside);
        if (e && !first) {
            first = e;
            set_why(why, whycap, "a folder of the VM cannot be removed");
        }
    }
    wchar_t key[STORE_PATH_MAX + 64];
    e = tag_key(vm, key, sizeof key / sizeof key[0]);
    if (!e) {
        LSTATUS r = RegDeleteTreeW(HKEY_LOCAL_MACHINE, key);
        if (r == 0 || r == ERROR_FILE_NOT_FOUND) {
            RegDeleteKeyW(HKEY_LOCAL_MACHINE, key);
        } else if (!first) {
            first = (DWORD)r;
            set_why(why, whycap, "the VM's registry tree cannot be removed");
        }
    }
    return first;
}

DWORD vs_stop(const char *name, DWORD timeout_ms, DWORD *ended)
{
    return vmjob_stop(name, timeout_ms, ended);
}
