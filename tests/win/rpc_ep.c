/* rpc_ep: a tiny RPC server and client for the endpoint-mapper test
 * (tests/cli/svc_rpc.sh). No MIDL: the interface is built by hand, the
 * call is a raw message (I_RpcGetBuffer / I_RpcSendReceive).
 *
 *   rpc_ep serve N TAG STOPFILE  registers interface N (ncalrpc, dynamic
 *                                endpoint) with the endpoint mapper
 *                                (RpcEpRegister), prints "registered ...",
 *                                serves calls until STOPFILE exists (or 120
 *                                s), then unregisters and prints "done"
 *   rpc_ep resolve N             resolves interface N with
 *                                RpcEpResolveBinding (ncalrpc, no
 *                                endpoint), prints "resolve N: ok ENDPOINT"
 *                                or "resolve N: error CODE", then calls it:
 *                                "call N: reply TAG pid PID" or
 *                                "call N: error CODE"
 *   rpc_ep svcpid NAME           the SCM's view of service NAME:
 *                                "svc NAME state S pid P" (QueryServiceStatusEx)
 *   rpc_ep com                   COM's view: CoGetClassObject(CLSCTX_LOCAL_SERVER)
 *                                of an unregistered class (which asks
 *                                rpcss's class table first), "com HRESULT"
 *   rpc_ep list                  lists the endpoint map
 *                                (RpcMgmtEpEltInqBegin/Next): one line per
 *                                element, "elt IFUUID ANNOTATION BINDING",
 *                                then "list: end CODE"
 *
 * The interfaces' UUIDs are made up: 5a1c0de0-7e57-4b1e-9a1e-0000000000NN.
 */
#include <windows.h>
#include <objbase.h>
#include <rpc.h>
#include <rpcdce.h>
#include <rpcndr.h>
#include <stdio.h>
#include <stdlib.h>
#include <wchar.h>

static const RPC_SYNTAX_IDENTIFIER ndr_syntax = {
    {0x8a885d04, 0x1ceb, 0x11c9, {0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48, 0x60}}, {2, 0}};

static GUID if_uuid(int n)
{
    GUID g = {0x5a1c0de0, 0x7e57, 0x4b1e, {0x9a, 0x1e, 0, 0, 0, 0, 0, (unsigned char)n}};
    return g;
}

static char g_tag[64];

/* The interface's only procedure: replies "TAG pid PID". */
static void __RPC_STUB proc0(PRPC_MESSAGE msg)
{
    char reply[128];
    int len = snprintf(reply, sizeof reply, "%s pid %lu", g_tag, GetCurrentProcessId());
    msg->BufferLength = (unsigned)len + 1;
    if (I_RpcGetBuffer(msg) != RPC_S_OK)
        return;
    memcpy(msg->Buffer, reply, (size_t)len + 1);
}

static RPC_DISPATCH_FUNCTION dispatch_funcs[] = {proc0};
static RPC_DISPATCH_TABLE dispatch_table = {1, dispatch_funcs, 0};

static void make_server_if(RPC_SERVER_INTERFACE *sif, int n)
{
    memset(sif, 0, sizeof *sif);
    sif->Length = sizeof *sif;
    sif->InterfaceId.SyntaxGUID = if_uuid(n);
    sif->InterfaceId.SyntaxVersion.MajorVersion = 1;
    sif->TransferSyntax = ndr_syntax;
    sif->DispatchTable = &dispatch_table;
}

static void make_client_if(RPC_CLIENT_INTERFACE *cif, int n)
{
    memset(cif, 0, sizeof *cif);
    cif->Length = sizeof *cif;
    cif->InterfaceId.SyntaxGUID = if_uuid(n);
    cif->InterfaceId.SyntaxVersion.MajorVersion = 1;
    cif->TransferSyntax = ndr_syntax;
}

static int serve(int n, const wchar_t *tag, const wchar_t *stopfile)
{
    static RPC_SERVER_INTERFACE sif;
    RPC_BINDING_VECTOR *vec = NULL;
    RPC_STATUS st;
    wchar_t annot[80];
    unsigned i;

    snprintf(g_tag, sizeof g_tag, "%ls", tag);
    make_server_if(&sif, n);
    st = RpcServerUseProtseqW((RPC_WSTR)L"ncalrpc", RPC_C_PROTSEQ_MAX_REQS_DEFAULT, NULL);
    if (st) { printf("serve %d: RpcServerUseProtseq error %ld\n", n, st); return 1; }
    st = RpcServerRegisterIf(&sif, NULL, NULL);
    if (st) { printf("serve %d: RpcServerRegisterIf error %ld\n", n, st); return 1; }
    st = RpcServerInqBindings(&vec);
    if (st) { printf("serve %d: RpcServerInqBindings error %ld\n", n, st); return 1; }
    _snwprintf(annot, 80, L"plume %ls", tag);
    annot[79] = 0;
    st = RpcEpRegisterW(&sif, vec, NULL, (RPC_WSTR)annot);
    for (i = 0; i < vec->Count; i++) {
        RPC_WSTR s = NULL;
        if (RpcBindingToStringBindingW(vec->BindingH[i], &s) == RPC_S_OK) {
            printf("binding %ls\n", (wchar_t *)s);
            RpcStringFreeW(&s);
        }
    }
    if (st) { printf("serve %d: RpcEpRegister error %ld\n", n, st); fflush(stdout); return 1; }
    st = RpcServerListen(1, RPC_C_LISTEN_MAX_CALLS_DEFAULT, TRUE);
    if (st) { printf("serve %d: RpcServerListen error %ld\n", n, st); return 1; }
    printf("registered %d %s pid %lu\n", n, g_tag, GetCurrentProcessId());
    fflush(stdout);
    for (i = 0; i < 1200; i++) {
        if (stopfile && GetFileAttributesW(stopfile) != INVALID_FILE_ATTRIBUTES)
            break;
        Sleep(100);
    }
    st = RpcEpUnregister(&sif, vec, NULL);
    printf("unregister %d: %ld\n", n, st);
    RpcMgmtStopServerListening(NULL);
    RpcServerUnregisterIf(&sif, NULL, FALSE);
    RpcBindingVectorFree(&vec);
    printf("done\n");
    fflush(stdout);
    return 0;
}

static int resolve(int n)
{
    static RPC_CLIENT_INTERFACE cif;
    RPC_WSTR sb = NULL, full = NULL;
    RPC_BINDING_HANDLE b = NULL;
    RPC_MESSAGE msg;
    RPC_STATUS st;

    make_client_if(&cif, n);
    st = RpcStringBindingComposeW(NULL, (RPC_WSTR)L"ncalrpc", NULL, NULL, NULL, &sb);
    if (!st) st = RpcBindingFromStringBindingW(sb, &b);
    if (sb) RpcStringFreeW(&sb);
    if (st) { printf("resolve %d: binding error %ld\n", n, st); return 1; }
    st = RpcEpResolveBinding(b, &cif);
    if (st) {
        printf("resolve %d: error %ld\n", n, st);
        RpcBindingFree(&b);
        return 2;
    }
    RpcBindingToStringBindingW(b, &full);
    printf("resolve %d: ok %ls\n", n, full ? (wchar_t *)full : L"?");
    if (full) RpcStringFreeW(&full);
    fflush(stdout);

    memset(&msg, 0, sizeof msg);
    msg.Handle = b;
    msg.ProcNum = 0;
    msg.RpcInterfaceInformation = &cif;
    msg.DataRepresentation = NDR_LOCAL_DATA_REPRESENTATION;
    msg.BufferLength = 4;
    st = I_RpcGetBuffer(&msg);
    if (!st) {
        memcpy(msg.Buffer, "ping", 4);
        st = I_RpcSendReceive(&msg);
    }
    if (st) {
        printf("call %d: error %ld\n", n, st);
    } else {
        char reply[129];
        unsigned len = msg.BufferLength < 128 ? msg.BufferLength : 128;
        memcpy(reply, msg.Buffer, len);
        reply[len] = 0;
        printf("call %d: reply %s\n", n, reply);
        I_RpcFreeBuffer(&msg);
    }
    RpcBindingFree(&b);
    return st ? 3 : 0;
}

static int list(void)
{
    RPC_EP_INQ_HANDLE ctx = NULL;
    RPC_STATUS st;
    int count = 0;

    st = RpcMgmtEpEltInqBegin(NULL, RPC_C_EP_ALL_ELTS, NULL, 0, NULL, &ctx);
    if (st) { printf("list: begin error %ld\n", st); return 1; }
    for (;;) {
        RPC_IF_ID id;
        RPC_BINDING_HANDLE b = NULL;
        UUID obj;
        RPC_WSTR annot = NULL, sb = NULL, uu = NULL;
        st = RpcMgmtEpEltInqNextW(ctx, &id, &b, &obj, &annot);
        if (st) break;
        UuidToStringW(&id.Uuid, &uu);
        if (b) RpcBindingToStringBindingW(b, &sb);
        printf("elt %ls \"%ls\" %ls\n", uu ? (wchar_t *)uu : L"?",
               annot ? (wchar_t *)annot : L"", sb ? (wchar_t *)sb : L"?");
        if (uu) RpcStringFreeW(&uu);
        if (sb) RpcStringFreeW(&sb);
        if (annot) RpcStringFreeW(&annot);
        if (b) RpcBindingFree(&b);
        count++;
    }
    printf("list: end %ld, %d elements\n", st, count);
    RpcMgmtEpEltInqDone(&ctx);
    return 0;
}

static int svcpid(const wchar_t *name)
{
    SC_HANDLE scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_CONNECT), svc;
    SERVICE_STATUS_PROCESS st;
    DWORD need = 0;

    if (!scm) { printf("svc %ls: OpenSCManager error %lu\n", name, GetLastError()); return 1; }
    svc = OpenServiceW(scm, name, SERVICE_QUERY_STATUS);
    if (!svc || !QueryServiceStatusEx(svc, SC_STATUS_PROCESS_INFO, (BYTE *)&st, sizeof st, &need)) {
        printf("svc %ls: error %lu\n", name, GetLastError());
        return 1;
    }
    printf("svc %ls state %lu pid %lu\n", name, st.dwCurrentState, st.dwProcessId);
    CloseServiceHandle(svc);
    CloseServiceHandle(scm);
    return 0;
}

static int com(void)
{
    GUID clsid = {0x5a1c0de0, 0x7e57, 0x4b1e, {0x9a, 0x1e, 0, 0, 0, 0, 0, 0x99}};
    IUnknown *unk = NULL;
    HRESULT hr = CoInitializeEx(NULL, COINIT_MULTITHREADED);

    if (FAILED(hr)) { printf("com init %08lx\n", (unsigned long)hr); return 1; }
    hr = CoGetClassObject(&clsid, CLSCTX_LOCAL_SERVER, NULL, &IID_IUnknown, (void **)&unk);
    printf("com %08lx\n", (unsigned long)hr);
    if (unk) unk->lpVtbl->Release(unk);
    CoUninitialize();
    return 0;
}

int wmain(int argc, wchar_t **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc >= 5 && !wcscmp(argv[1], L"serve"))
        return serve(_wtoi(argv[2]), argv[3], argv[4]);
    if (argc >= 3 && !wcscmp(argv[1], L"resolve"))
        return resolve(_wtoi(argv[2]));
    if (argc >= 3 && !wcscmp(argv[1], L"svcpid"))
        return svcpid(argv[2]);
    if (argc >= 2 && !wcscmp(argv[1], L"com"))
        return com();
    if (argc >= 2 && !wcscmp(argv[1], L"list"))
        return list();
    fprintf(stderr, "usage: rpc_ep serve N TAG STOPFILE | resolve N | svcpid NAME | com | list\n");
    return 64;
}
