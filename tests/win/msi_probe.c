/* msi_probe: what the Windows Installer database says, for
 * tests/cli/svc_msi.sh.
 *
 *   msi_probe state PRODUCTCODE   "state N" (MsiQueryProductStateW:
 *                                 5 INSTALLSTATE_DEFAULT = installed,
 *                                 -1 INSTALLSTATE_UNKNOWN = not known)
 *   msi_probe products            "product CODE NAME" for each product
 *                                 (MsiEnumProductsW), then "products N"
 */
#include <windows.h>
#include <msi.h>
#include <stdio.h>
#include <wchar.h>

int wmain(int argc, wchar_t **argv)
{
    if (argc >= 3 && !wcscmp(argv[1], L"state")) {
        printf("state %d\n", (int)MsiQueryProductStateW(argv[2]));
        return 0;
    }
    if (argc >= 2 && !wcscmp(argv[1], L"products")) {
        wchar_t code[39], name[256];
        DWORD i, len;
        for (i = 0;; i++) {
            UINT r = MsiEnumProductsW(i, code);
            if (r != ERROR_SUCCESS)
                break;
            len = 256;
            if (MsiGetProductInfoW(code, INSTALLPROPERTY_PRODUCTNAME, name, &len) != ERROR_SUCCESS)
                wcscpy(name, L"?");
            printf("product %ls %ls\n", code, name);
        }
        printf("products %lu\n", i);
        return 0;
    }
    fprintf(stderr, "usage: msi_probe state PRODUCTCODE | products\n");
    return 64;
}
