/* libFuzzer target: vm.conf parsing; an accepted config formats to a text
 * that parses back to the same config. */
#include "vmconfig.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vm_config cfg, back;
    char err[256], text[1024];
    if (vmconfig_parse((const char *)data, size, &cfg, err, sizeof err) != 0)
        return 0;
    size_t n = vmconfig_format(&cfg, text, sizeof text);
    if (n == 0 || vmconfig_parse(text, n, &back, err, sizeof err) != 0)
        abort();
    if (strcmp(cfg.name, back.name) || cfg.has_ip != back.has_ip ||
        (cfg.has_ip && cfg.ip != back.ip) || cfg.created != back.created)
        abort();
    return 0;
}
