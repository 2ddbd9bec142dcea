/* A registry probe for the registry tests (tests/cli/reg.sh). Run inside a
 * VM (plume run VM -- t_reg ...) or natively (the host's view). Commands,
 * several in one run when separated by "+":
 *
 *   set KEY NAME VALUE     RegCreateKeyEx + RegSetValueEx (REG_SZ)
 *   get KEY NAME           "value NAME=VALUE" or "missing NAME (error N)"
 *   delval KEY NAME        RegDeleteValue
 *   delkey KEY             RegDeleteKey (a key without subkeys)
 *   deltree KEY            RegDeleteTree (the key and everything below)
 *   exists KEY             "exists KEY" or "absent KEY (error N)"
 *   keys KEY               "subkey NAME" lines (RegEnumKeyEx), then
 *                          "subkeys=N info=M" (M: RegQueryInfoKey's count)
 *   values KEY             "valname NAME" lines, then "values=N info=M"
 *   name KEY               "keyname=..." (NtQueryKey KeyNameInformation)
 *                          and "objname=..." (NtQueryObject)
 *   ntset NTNAME NAME VAL  NtCreateKey (of the leaf) + NtSetValueKey
 *   ntget NTNAME NAME      NtOpenKey + NtQueryValueKey, printed like get
 *   ntmulti NTNAME N1 N2   NtQueryMultipleValueKey of two values: "multi status=0x..."
 *                          then, when it succeeded, " N1=DATA N2=DATA" (DATA
 *                          "<nodata>" when the call filled nothing in: Wine 8's stub)
 *   ntkeys NTNAME          "ntsubkey NAME" lines (NtEnumerateKey)
 *   ntflush NTNAME         NtOpenKey (KEY_READ) + NtFlushKey: "flush status=0x..."
 *                          (or "flush open=0x..." when the open failed)
 *   sid                    the current user's SID: "sid S-1-..."
 *   ntrename KEY NEWNAME   NtRenameKey: "rename status=0x...", and when it
 *                          succeeded the handle's names: "renamed keyname=...
 *                          objname=..." (NtQueryKey, NtQueryObject)
 *   hive KEY FILE          NtSaveKey, NtLoadKey, RegLoadKey:
 *                          "ntsave=0x... ntload=0x... load=N"
 *   notify KEY NAME VALUE  arms RegNotifyChangeKeyValue, sets the value
 *                          through another handle: "notified=0|1"
 *   bench N KEY NAME       N times open + query + close: "bench ns=..."
 *   linkinfo NTNAME        the key itself (OBJ_OPENLINK): "link NTNAME -> TARGET"
 *                          (its REG_LINK SymbolicLinkValue) or "nolink NTNAME (...)"
 *   linkwrite NTNAME       opens the key itself (OBJ_OPENLINK) for KEY_SET_VALUE and
 *                          closes it: "linkwrite status=0x..."
 *   ntlink NTNAME TARGET   NtCreateKey(REG_OPTION_CREATE_LINK) + SymbolicLinkValue,
 *                          then a value written through the new name:
 *                          "ntlink create=0x... set=0x... write=0x..."
 *
 * KEY: HKLM\..., HKCU\..., HKCR\..., HKU\.... Exit code: 0, or 1 when a
 * command failed (a "missing"/"absent" answer is no failure). */
#include <windows.h>
#include <winternl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <sddl.h>

NTSTATUS NTAPI NtCreateKey(PHANDLE, ACCESS_MASK, POBJECT_ATTRIBUTES, ULONG, PUNICODE_STRING,
                           ULONG, PULONG);
NTSTATUS NTAPI NtOpenKey(PHANDLE, ACCESS_MASK, POBJECT_ATTRIBUTES);
NTSTATUS NTAPI NtSetValueKey(HANDLE, PUNICODE_STRING, ULONG, ULONG, PVOID, ULONG);
NTSTATUS NTAPI NtQueryValueKey(HANDLE, PUNICODE_STRING, ULONG, PVOID, ULONG, PULONG);
NTSTATUS NTAPI NtEnumerateKey(HANDLE, ULONG, ULONG, PVOID, ULONG, PULONG);
NTSTATUS NTAPI NtQueryKey(HANDLE, ULONG, PVOID, ULONG, PULONG);
NTSTATUS NTAPI NtSaveKey(HANDLE, HANDLE);
NTSTATUS NTAPI NtLoadKey(POBJECT_ATTRIBUTES, POBJECT_ATTRIBUTES);
NTSTATUS NTAPI NtUnloadKey(POBJECT_ATTRIBUTES);
NTSTATUS NTAPI NtFlushKey(HANDLE);

typedef KEY_VALUE_ENTRY value_entry;
typedef struct {
    ULONG TitleIndex, Type, DataLength;
    UCHAR Data[1];
} kv_partial;
typedef struct {
    LARGE_INTEGER LastWriteTime;
    ULONG TitleIndex, NameLength;
    WCHAR Name[1];
} key_basic;

static int failed;

static HKEY parse_key(const wchar_t *s, const wchar_t **sub)
{
    static const struct { const wchar_t *p; HKEY k; } roots[] = {
        { L"HKLM", HKEY_LOCAL_MACHINE }, { L"HKCU", HKEY_CURRENT_USER },
        { L"HKCR", HKEY_CLASSES_ROOT }, { L"HKU", HKEY_USERS },
    };
    for (size_t i = 0; i < sizeof roots / sizeof roots[0]; i++) {
        size_t n = wcslen(roots[i].p);
        if (_wcsnicmp(s, roots[i].p, n) == 0 && (s[n] == 0 || s[n] == L'\\')) {
            *sub = s[n] ? s + n + 1 : L"";
            return roots[i].k;
        }
    }
    *sub = s;
    return NULL;
}

static void init_us(UNICODE_STRING *u, const wchar_t *s)
{
    u->Buffer = (PWSTR)s;
    u->Length = (USHORT)(wcslen(s) * sizeof(wchar_t));
    u->MaximumLength = u->Length;
}

static void fail(const char *what, const wchar_t *arg, long code)
{
    printf("error %s %ls: %ld (0x%lx)\n", what, arg, code, (unsigned long)code);
    failed = 1;
}

static void cmd_set(const wchar_t *key, const wchar_t *name, const wchar_t *val)
{
    const wchar_t *sub;
    HKEY root = parse_key(key, &sub), h;
    LONG e = RegCreateKeyExW(root, sub, 0, NULL, 0, KEY_ALL_ACCESS, NULL, &h, NULL);
    if (e) {
        fail("create", key, e);
        return;
    }
    e = RegSetValueExW(h, name, 0, REG_SZ, (const BYTE *)val,
                       (DWORD)((wcslen(val) + 1) * sizeof(wchar_t)));
    if (e)
        fail("setvalue", name, e);
    else
        printf("set %ls=%ls\n", name, val);
    RegCloseKey(h);
}

static void cmd_get(const wchar_t *key, const wchar_t *name)
{
    const wchar_t *sub;
    HKEY root = parse_key(key, &sub), h;
    LONG e = RegOpenKeyExW(root, sub, 0, KEY_READ, &h);
    if (e) {
        printf("missing %ls (error %ld)\n", name, e);
        return;
    }
    wchar_t buf[512];
    DWORD type, len = sizeof buf - sizeof(wchar_t);
    e = RegQueryValueExW(h, name, NULL, &type, (BYTE *)buf, &len);
    if (e) {
        printf("missing %ls (error %ld)\n", name, e);
    } else {
        buf[len / sizeof(wchar_t)] = 0;
        printf("value %ls=%ls\n", name, buf);
    }
    RegCloseKey(h);
}

static void cmd_delval(const wchar_t *key, const wchar_t *name)
{
    const wchar_t *sub;
    HKEY root = parse_key(key, &sub), h;
    LONG e = RegOpenKeyExW(root, sub, 0, KEY_SET_VALUE, &h);
    if (e) {
        fail("open", key, e);
        return;
    }
    e = RegDeleteValueW(h, name);
    if (e)
        fail("deletevalue", name, e);
    else
        printf("deleted value %ls\n", name);
    RegCloseKey(h);
}

static void cmd_delkey(const wchar_t *key, int tree)
{
    const wchar_t *sub;
    HKEY root = parse_key(key, &sub);
    LONG e = tree ? RegDeleteTreeW(root, sub) : RegDeleteKeyW(root, sub);
    if (e)
        fail("deletekey", key, e);
    else
        printf("deleted key %ls\n", key);
}

static void cmd_exists(const wchar_t *key)
{
    const wchar_t *sub;
    HKEY root = parse_key(key, &sub), h;
    LONG e = RegOpenKeyExW(root, sub, 0, KEY_READ, &h);
    if (e) {
        printf("absent %ls (error %ld)\n", key, e);
        return;
    }
    printf("exists %ls\n", key);
    RegCloseKey(h);
}

static void cmd_list(const wchar_t *key, int values)
{
    const wchar_t *sub;
    HKEY root = parse_key(key, &sub), h;
    LONG e = RegOpenKeyExW(root, sub, 0, KEY_READ, &h);
    if (e) {
        fail("open", key, e);
        return;
    }
    DWORD n = 0;
    for (DWORD i = 0;; i++) {
        wchar_t name[300];
        DWORD len = 300;
        e = values ? RegEnumValueW(h, i, name, &len, NULL, NULL, NULL, NULL)
                   : RegEnumKeyExW(h, i, name, &len, NULL, NULL, NULL, NULL);
        if (e == ERROR_NO_MORE_ITEMS)
            break;
        if (e) {
            fail("enum", key, e);
            break;
        }
        printf("%s %ls\n", values ? "valname" : "subkey", name);
        n++;
    }
    DWORD nk = 0, nv = 0;
    e = RegQueryInfoKeyW(h, NULL, NULL, NULL, &nk, NULL, NULL, &nv, NULL, NULL, NULL, NULL);
    if (e)
        fail("queryinfo", key, e);
    printf("%s=%lu info=%lu\n", values ? "values" : "subkeys", n, values ? nv : nk);
    RegCloseKey(h);
}

static void cmd_name(const wchar_t *key)
{
    const wchar_t *sub;
    HKEY root = parse_key(key, &sub), h;
    LONG e = RegOpenKeyExW(root, sub, 0, KEY_READ, &h);
    if (e) {
        fail("open", key, e);
        return;
    }
    static BYTE buf[4096];
    ULONG ret = 0;
    NTSTATUS st = NtQueryKey(h, 3 /* KeyNameInformation */, buf, sizeof buf - 2, &ret);
    if (st < 0) {
        fail("querykey", key, st);
    } else {
        ULONG len = *(ULONG *)buf;
        wchar_t *s = (wchar_t *)(buf + 4);
        s[len / 2] = 0;
        printf("keyname=%ls\n", s);
    }
    st = NtQueryObject(h, ObjectNameInformation, buf, sizeof buf - 2, &ret);
    if (st < 0) {
        fail("queryobject", key, st);
    } else {
        UNICODE_STRING *u = (UNICODE_STRING *)buf;
        u->Buffer[u->Length / 2] = 0;
        printf("objname=%ls\n", u->Buffer);
    }
    RegCloseKey(h);
}

static NTSTATUS nt_open(const wchar_t *name, ACCESS_MASK acc, HANDLE *h, int create)
{
    UNICODE_STRING u;
    OBJECT_ATTRIBUTES oa;
    init_us(&u, name);
    InitializeObjectAttributes(&oa, &u, OBJ_CASE_INSENSITIVE, NULL, NULL);
    if (create) {
        ULONG disp = 0;
        return NtCreateKey(h, acc, &oa, 0, NULL, 0, &disp);
    }
    return NtOpenKey(h, acc, &oa);
}

static void cmd_ntset(const wchar_t *key, const wchar_t *name, const wchar_t *val)
{
    HANDLE h;
    NTSTATUS st = nt_open(key, KEY_ALL_ACCESS, &h, 1);
    if (st < 0) {
        fail("ntcreate", key, st);
        return;
    }
    UNICODE_STRING u;
    init_us(&u, name);
    st = NtSetValueKey(h, &u, 0, REG_SZ, (PVOID)val, (ULONG)((wcslen(val) + 1) * 2));
    if (st < 0)
        fail("ntsetvalue", name, st);
    else
        printf("ntset %ls=%ls\n", name, val);
    CloseHandle(h);
}

static void cmd_ntget(const wchar_t *key, const wchar_t *name)
{
    HANDLE h;
    NTSTATUS st = nt_open(key, KEY_READ, &h, 0);
    if (st < 0) {
        printf("missing %ls (status 0x%lx)\n", name, (unsigned long)st);
        return;
    }
    UNICODE_STRING u;
    init_us(&u, name);
    static BYTE buf[2048];
    ULONG ret;
    st = NtQueryValueKey(h, &u, 2 /* KeyValuePartialInformation */, buf, sizeof buf - 2, &ret);
    if (st < 0) {
        printf("missing %ls (status 0x%lx)\n", name, (unsigned long)st);
    } else {
        kv_partial *p = (kv_partial *)buf;
        wchar_t *s = (wchar_t *)p->Data;
        s[p->DataLength / 2] = 0;
        printf("value %ls=%ls\n", name, s);
    }
    CloseHandle(h);
}

static void cmd_ntmulti(const wchar_t *key, const wchar_t *n1, const wchar_t *n2)
{
    HANDLE h;
    NTSTATUS st = nt_open(key, KEY_READ, &h, 0);
    if (st < 0) {
        fail("ntopen", key, st);
        return;
    }
    UNICODE_STRING u1, u2;
    init_us(&u1, n1);
    init_us(&u2, n2);
    value_entry ve[2] = { { &u1, 0, 0, 0 }, { &u2, 0, 0, 0 } };
    static BYTE buf[2048];
    ULONG len = sizeof buf, ret = 0;
    st = NtQueryMultipleValueKey(h, ve, 2, buf, &len, &ret);
    printf("multi status=0x%lx", (unsigned long)st);
    for (int i = 0; st >= 0 && i < 2; i++) {
        if (ve[i].DataLength < 2 || ve[i].DataOffset + ve[i].DataLength > sizeof buf)
            printf(" %ls=<nodata>", ve[i].ValueName->Buffer);  /* Wine 8: a stub */
        else
            printf(" %ls=%.*ls", ve[i].ValueName->Buffer, (int)(ve[i].DataLength / 2 - 1),
                   (wchar_t *)(buf + ve[i].DataOffset));
    }
    printf("\n");
    CloseHandle(h);
}

static void cmd_ntkeys(const wchar_t *key)
{
    HANDLE h;
    NTSTATUS st = nt_open(key, KEY_READ, &h, 0);
    if (st < 0) {
        fail("ntopen", key, st);
        return;
    }
    static BYTE buf[2048];
    ULONG ret, n = 0;
    for (ULONG i = 0;; i++) {
        st = NtEnumerateKey(h, i, 0 /* KeyBasicInformation */, buf, sizeof buf - 2, &ret);
        if (st < 0)
            break;
        key_basic *b = (key_basic *)buf;
        b->Name[b->NameLength / 2] = 0;
        printf("ntsubkey %ls\n", b->Name);
        n++;
    }
    if (st != (NTSTATUS)0x8000001AL)   /* STATUS_NO_MORE_ENTRIES */
        fail("ntenumerate", key, st);
    printf("ntsubkeys=%lu\n", n);
    CloseHandle(h);
}

static void cmd_ntflush(const wchar_t *key)
{
    HANDLE h;
    NTSTATUS st = nt_open(key, KEY_READ, &h, 0);
    if (st < 0) {
        printf("flush open=0x%lx\n", (unsigned long)st);
        return;
    }
    st = NtFlushKey(h);
    printf("flush status=0x%lx\n", (unsigned long)st);
    CloseHandle(h);
}

static void cmd_sid(void)
{
    HANDLE tok;
    static BYTE buf[512];
    DWORD len;
    wchar_t *s = NULL;
    if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &tok)) {
        fail("token", L"", (long)GetLastError());
        return;
    }
    if (!GetTokenInformation(tok, TokenUser, buf, sizeof buf, &len) ||
        !ConvertSidToStringSidW(((TOKEN_USER *)buf)->User.Sid, &s))
        fail("sid", L"", (long)GetLastError());
    else
        printf("sid %ls\n", s);
    if (s)
        LocalFree(s);
    CloseHandle(tok);
}

static void cmd_ntrename(const wchar_t *key, const wchar_t *newname)
{
    const wchar_t *sub;
    HKEY root = parse_key(key, &sub), h;
    LONG e = RegOpenKeyExW(root, sub, 0, KEY_ALL_ACCESS, &h);
    if (e) {
        fail("open", key, e);
        return;
    }
    UNICODE_STRING u;
    init_us(&u, newname);
    NTSTATUS st = NtRenameKey(h, &u);
    printf("rename status=0x%lx\n", (unsigned long)st);
    if (st >= 0) {
        /* The handle now names the key by its new name. */
        static BYTE kb[4096], ob[4096];
        ULONG ret;
        NTSTATUS a = NtQueryKey(h, 3 /* KeyNameInformation */, kb, sizeof kb - 2, &ret);
        NTSTATUS b = NtQueryObject(h, ObjectNameInformation, ob, sizeof ob - 2, &ret);
        if (a >= 0 && b >= 0) {
            UNICODE_STRING *on = (UNICODE_STRING *)ob;
            printf("renamed keyname=%.*ls objname=%.*ls\n", (int)(*(ULONG *)kb / 2),
                   (wchar_t *)(kb + 4), (int)(on->Length / 2), on->Buffer);
        } else {
            printf("renamed query status=0x%lx/0x%lx\n", (unsigned long)a, (unsigned long)b);
        }
    }
    RegCloseKey(h);
}

static void cmd_hive(const wchar_t *key, const wchar_t *file)
{
    const wchar_t *sub;
    HKEY root = parse_key(key, &sub), h;
    LONG e = RegOpenKeyExW(root, sub, 0, KEY_READ, &h);
    fprintf(stderr, "hive: open %ls %ld\n", key, e);
    if (e) {
        fail("open", key, e);
        return;
    }
    /* NtSaveKey into a file handle, NtLoadKey of a file, RegLoadKey. */
    wchar_t path[MAX_PATH + 40];
    if (!file[0] || !wcscmp(file, L"-")) {    /* "-": a file in %TEMP% */
        GetTempPathW(MAX_PATH, path);
        wcscat(path, L"plume-hive.tmp");
        file = path;
    }
    HANDLE f = CreateFileW(file, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL);
    /* Each step is also traced to stderr (unbuffered), so that a run that
     * dies half-way still tells which call it reached. */
    fprintf(stderr, "hive: file %ls open=%d\n", file, f != INVALID_HANDLE_VALUE);
    NTSTATUS ss = f == INVALID_HANDLE_VALUE ? -1 : NtSaveKey(h, f);
    fprintf(stderr, "hive: NtSaveKey 0x%lx\n", (unsigned long)ss);
    if (f != INVALID_HANDLE_VALUE)
        CloseHandle(f);
    RegCloseKey(h);
    wchar_t nt[600] = L"\\??\\";
    wcscat(nt, file);
    UNICODE_STRING tu, fu;
    OBJECT_ATTRIBUTES toa, foa;
    init_us(&tu, L"\\Registry\\Machine\\PlumeHiveTest");
    init_us(&fu, nt);
    InitializeObjectAttributes(&toa, &tu, OBJ_CASE_INSENSITIVE, NULL, NULL);
    InitializeObjectAttributes(&foa, &fu, OBJ_CASE_INSENSITIVE, NULL, NULL);
    NTSTATUS ls = NtLoadKey(&toa, &foa);
    fprintf(stderr, "hive: NtLoadKey 0x%lx\n", (unsigned long)ls);
    if (ls >= 0)
        NtUnloadKey(&toa);
    LONG l = RegLoadKeyW(HKEY_LOCAL_MACHINE, L"PlumeHiveTest", file);
    fprintf(stderr, "hive: RegLoadKeyW %ld\n", l);
    if (l == 0)
        RegUnLoadKeyW(HKEY_LOCAL_MACHINE, L"PlumeHiveTest");
    BOOL d = DeleteFileW(file);
    fprintf(stderr, "hive: DeleteFileW %d (%lu)\n", d, d ? 0 : GetLastError());
    printf("ntsave=0x%lx ntload=0x%lx load=%ld\n", (unsigned long)ss, (unsigned long)ls, l);
}

static void cmd_notify(const wchar_t *key, const wchar_t *name, const wchar_t *val)
{
    const wchar_t *sub;
    HKEY root = parse_key(key, &sub), h, w;
    LONG e = RegOpenKeyExW(root, sub, 0, KEY_NOTIFY | KEY_READ, &h);
    if (e) {
        fail("open", key, e);
        return;
    }
    HANDLE ev = CreateEventW(NULL, TRUE, FALSE, NULL);
    e = RegNotifyChangeKeyValue(h, FALSE, REG_NOTIFY_CHANGE_LAST_SET, ev, TRUE);
    if (e) {
        fail("notify", key, e);
    } else if ((e = RegOpenKeyExW(root, sub, 0, KEY_SET_VALUE, &w)) != 0) {
        fail("open for write", key, e);
    } else {
        RegSetValueExW(w, name, 0, REG_SZ, (const BYTE *)val,
                       (DWORD)((wcslen(val) + 1) * sizeof(wchar_t)));
        RegCloseKey(w);
        printf("notified=%d\n", WaitForSingleObject(ev, 3000) == WAIT_OBJECT_0);
    }
    CloseHandle(ev);
    RegCloseKey(h);
}

static void cmd_linkinfo(const wchar_t *key)
{
    UNICODE_STRING u, v;
    OBJECT_ATTRIBUTES oa;
    HANDLE h;
    init_us(&u, key);
    InitializeObjectAttributes(&oa, &u, OBJ_CASE_INSENSITIVE | OBJ_OPENLINK, NULL, NULL);
    NTSTATUS st = NtOpenKey(&h, KEY_QUERY_VALUE, &oa);
    if (st < 0) {
        printf("nolink %ls (open status 0x%lx)\n", key, (unsigned long)st);
        return;
    }
    init_us(&v, L"SymbolicLinkValue");
    static BYTE buf[2048];
    ULONG ret;
    st = NtQueryValueKey(h, &v, 2 /* KeyValuePartialInformation */, buf, sizeof buf - 2, &ret);
    kv_partial *p = (kv_partial *)buf;
    if (st < 0 || p->Type != REG_LINK) {
        printf("nolink %ls (query status 0x%lx)\n", key, (unsigned long)st);
    } else {
        wchar_t *t = (wchar_t *)p->Data;
        t[p->DataLength / 2] = 0;
        printf("link %ls -> %ls\n", key, t);
    }
    CloseHandle(h);
}

static void cmd_linkwrite(const wchar_t *key)
{
    UNICODE_STRING u;
    OBJECT_ATTRIBUTES oa;
    HANDLE h;
    init_us(&u, key);
    InitializeObjectAttributes(&oa, &u, OBJ_CASE_INSENSITIVE | OBJ_OPENLINK, NULL, NULL);
    NTSTATUS st = NtOpenKey(&h, KEY_SET_VALUE, &oa);
    printf("linkwrite status=0x%lx\n", (unsigned long)st);
    if (st >= 0)
        CloseHandle(h);
}

static void cmd_ntlink(const wchar_t *key, const wchar_t *target)
{
    UNICODE_STRING u, v;
    OBJECT_ATTRIBUTES oa;
    HANDLE h;
    ULONG disp = 0;
    init_us(&u, key);
    InitializeObjectAttributes(&oa, &u, OBJ_CASE_INSENSITIVE, NULL, NULL);
    NTSTATUS cs = NtCreateKey(&h, KEY_ALL_ACCESS | KEY_CREATE_LINK, &oa, 0, NULL,
                              REG_OPTION_CREATE_LINK | REG_OPTION_VOLATILE, &disp);
    NTSTATUS ss = -1, ws = -1;
    if (cs >= 0) {
        init_us(&v, L"SymbolicLinkValue");
        ss = NtSetValueKey(h, &v, 0, REG_LINK, (PVOID)target, (ULONG)(wcslen(target) * 2));
        CloseHandle(h);
        HANDLE w;
        if ((ws = nt_open(key, KEY_SET_VALUE, &w, 0)) >= 0) {
            init_us(&v, L"PlumeThroughLink");
            ws = NtSetValueKey(w, &v, 0, REG_SZ, (PVOID)L"x", 4);
            CloseHandle(w);
        }
    }
    printf("ntlink create=0x%lx set=0x%lx write=0x%lx\n", (unsigned long)cs, (unsigned long)ss,
           (unsigned long)ws);
}

static void cmd_bench(int n, const wchar_t *key, const wchar_t *name)
{
    const wchar_t *sub;
    HKEY root = parse_key(key, &sub), h;
    LARGE_INTEGER f, a, b;
    QueryPerformanceFrequency(&f);
    QueryPerformanceCounter(&a);
    for (int i = 0; i < n; i++) {
        if (RegOpenKeyExW(root, sub, 0, KEY_READ, &h)) {
            fail("open", key, -1);
            return;
        }
        BYTE buf[256];
        DWORD len = sizeof buf;
        RegQueryValueExW(h, name, NULL, NULL, buf, &len);
        RegCloseKey(h);
    }
    QueryPerformanceCounter(&b);
    double ns = (double)(b.QuadPart - a.QuadPart) * 1e9 / (double)f.QuadPart / n;
    printf("bench ns=%.0f\n", ns);
}

static int need(int argc, int i, int k)
{
    if (i + k >= argc) {
        printf("error: missing arguments\n");
        failed = 1;
        return 0;
    }
    return 1;
}

int wmain(int argc, wchar_t **argv)
{
    int i = 1;
    while (i < argc) {
        const wchar_t *c = argv[i];
        int k = 0;
        if (!wcscmp(c, L"set") || !wcscmp(c, L"ntset") || !wcscmp(c, L"notify") ||
            !wcscmp(c, L"ntmulti") || !wcscmp(c, L"bench"))
            k = 3;
        else if (!wcscmp(c, L"get") || !wcscmp(c, L"delval") || !wcscmp(c, L"ntget") ||
                 !wcscmp(c, L"hive") || !wcscmp(c, L"ntrename") || !wcscmp(c, L"ntlink"))
            k = 2;
        else if (!wcscmp(c, L"delkey") || !wcscmp(c, L"deltree") || !wcscmp(c, L"exists") ||
                 !wcscmp(c, L"keys") || !wcscmp(c, L"values") || !wcscmp(c, L"name") ||
                 !wcscmp(c, L"ntkeys") || !wcscmp(c, L"linkinfo") || !wcscmp(c, L"linkwrite"))
            k = 1;
        else if (!wcscmp(c, L"ntflush"))
            k = 1;
        else if (!wcscmp(c, L"sid"))
            k = 0;
        else if (!wcscmp(c, L"+")) {
            i++;
            continue;
        } else {
            printf("error: unknown command %ls\n", c);
            return 2;
        }
        if (!need(argc, i, k))
            break;
        wchar_t **a = argv + i + 1;
        if (!wcscmp(c, L"set")) cmd_set(a[0], a[1], a[2]);
        else if (!wcscmp(c, L"ntset")) cmd_ntset(a[0], a[1], a[2]);
        else if (!wcscmp(c, L"notify")) cmd_notify(a[0], a[1], a[2]);
        else if (!wcscmp(c, L"ntmulti")) cmd_ntmulti(a[0], a[1], a[2]);
        else if (!wcscmp(c, L"bench")) cmd_bench(_wtoi(a[0]), a[1], a[2]);
        else if (!wcscmp(c, L"get")) cmd_get(a[0], a[1]);
        else if (!wcscmp(c, L"delval")) cmd_delval(a[0], a[1]);
        else if (!wcscmp(c, L"ntget")) cmd_ntget(a[0], a[1]);
        else if (!wcscmp(c, L"hive")) cmd_hive(a[0], a[1]);
        else if (!wcscmp(c, L"ntrename")) cmd_ntrename(a[0], a[1]);
        else if (!wcscmp(c, L"delkey")) cmd_delkey(a[0], 0);
        else if (!wcscmp(c, L"deltree")) cmd_delkey(a[0], 1);
        else if (!wcscmp(c, L"exists")) cmd_exists(a[0]);
        else if (!wcscmp(c, L"keys")) cmd_list(a[0], 0);
        else if (!wcscmp(c, L"values")) cmd_list(a[0], 1);
        else if (!wcscmp(c, L"name")) cmd_name(a[0]);
        else if (!wcscmp(c, L"ntkeys")) cmd_ntkeys(a[0]);
        else if (!wcscmp(c, L"linkinfo")) cmd_linkinfo(a[0]);
        else if (!wcscmp(c, L"linkwrite")) cmd_linkwrite(a[0]);
        else if (!wcscmp(c, L"ntlink")) cmd_ntlink(a[0], a[1]);
        else if (!wcscmp(c, L"ntflush")) cmd_ntflush(a[0]);
        else if (!wcscmp(c, L"sid")) cmd_sid();
        fflush(stdout);
        i += k + 1;
    }
    return failed;
}
