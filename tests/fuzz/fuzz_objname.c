/* libFuzzer target: object, pipe and port name mapping; a renamed name
 * stripped of the VM's prefix gives back the name the VM used. The same
 * bytes are also parsed as a rules file and as a vm.conf
 * (objname_rules_parse): the set stays bounded, the SCM's names and
 * "Plume" names never fall back, and the mapping obeys the set. */
#include "objname.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint16_t tag[] = { '1', '2', 'a', 'b', '.', 'v', 'm' };
    static uint16_t in[2048], out[4096];
    if (size < 2)
        return 0;
    unsigned flags = data[0] & 3;
    size_t split_hint = data[1];
    data += 2;
    size -= 2;
    size_t n = size / 2 > 2048 ? 2048 : size / 2;
    memcpy(in, data, n * 2);
    size_t split = n ? split_hint % (n + 1) : 0;
    objname_out r;
    memset(&r, 0, sizeof r);
    size_t cap = n + objname_extra(sizeof tag / 2);
    if (cap > 4096)
        return 0;
    int res = objname_map(split ? in : NULL, split, in + split, n - split, tag, sizeof tag / 2,
                          flags, out, cap, &r);
    if (res == OBJN_RENAME) {
        if (r.len > cap || r.at > r.len)
            abort();
        (void)objname_strip(out, r.len, tag, sizeof tag / 2);
    }
    (void)objname_rule_flags(r.cls, in, n);

    static objname_ruleset set;
    static const uint16_t svcctl[] = { 's', 'v', 'c', 'c', 't', 'l' };
    static const uint16_t plume[] = { 'P', 'l', 'u', 'm', 'e', '.', 'x' };
    objname_rules_init(&set);
    (void)objname_rules_parse(&set, OBJN_SRC_STORE, (const char *)data, size, NULL, NULL);
    (void)objname_rules_parse(&set, OBJN_SRC_VM, (const char *)data, size, NULL, NULL);
    if (set.count > OBJN_RULES_MAX)
        abort();
    for (size_t i = 0; i < set.count; i++)
        if (!memchr(set.r[i].name, 0, sizeof set.r[i].name))
            abort();
    if (objname_ruleset_flags(&set, OBJN_C_PIPE, svcctl, 6) ||
        objname_ruleset_flags(&set, OBJN_C_RPC, plume, 7))
        abort();
    objname_rules_use(&set);
    res = objname_map(split ? in : NULL, split, in + split, n - split, tag, sizeof tag / 2,
                      flags, out, cap, &r);
    (void)objname_rule_flags(r.cls, in, n);
    objname_rules_use(NULL);
    return 0;
}
