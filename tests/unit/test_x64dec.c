/* Unit tests for the x86-64 length decoder (src/core/x64dec.c).
 *
 * A table of (bytes, expected length, flags) cases; each valid case is
 * also decoded from exact-size heap copies of every shorter prefix, which
 * must fail without reading past the end (ASan watches). A randomized
 * pass feeds random buffers. Expected lengths were checked against
 * x86_64-w64-mingw32-objdump. */
#include "x64dec.h"
#include "unit.h"

#include <stdint.h>
#include <stdlib.h>

#define F_RIP X64_F_RIPREL
#define F_REL X64_F_REL
#define F_TERM X64_F_TERM
#define F_SYS X64_F_SYSCALL
#define BR_JMP X64_BR_JMP
#define BR_JCC X64_BR_JCC
#define BR_CALL X64_BR_CALL
#define BR_LOOP X64_BR_LOOP
#define BR_NONE X64_BR_NONE

typedef struct dcase {
    const char *name;
    const char *hex;    /* the whole buffer given to the decoder */
    int len;            /* expected result (0 = refused) */
    unsigned flags;     /* expected flags when len > 0 */
    int disp_off;       /* checked when F_RIP */
    int32_t disp;
    int branch;         /* checked when F_REL */
    int cond;
    int32_t rel;
    int rel_off;
} dcase;

/* plain case: no operand fields to check */
#define C(n, h, l, f) {.name = (n), .hex = (h), .len = (l), .flags = (f)}
/* RIP-relative case: disp32 offset and value */
#define R(n, h, l, f, off, d) \
    {.name = (n), .hex = (h), .len = (l), .flags = (f), .disp_off = (off), .disp = (d)}
/* relative branch case: kind, condition nibble, displacement, its offset */
#define J(n, h, l, f, br, cc, r, off)                                          \
    {.name = (n), .hex = (h), .len = (l), .flags = (f), .branch = (br),      \
     .cond = (cc), .rel = (r), .rel_off = (off)}

static const dcase cases[] = {
    /* --- Wine 8 NtCreateFile stub, instruction by instruction --- */
    C("mov r10,rcx", "4c 8b d1", 3, 0),
    C("mov eax,imm32", "b8 1d 00 00 00", 5, 0),
    C("test byte [abs32],1", "f6 04 25 08 03 fe 7f 01", 8, 0),
    J("jne rel8", "75 03", 2, F_REL, BR_JCC, 5, 3, 1),
    C("syscall", "0f 05", 2, F_SYS),
    C("ret", "c3", 1, F_TERM),
    J("jmp rel8", "eb 01", 2, F_REL | F_TERM, BR_JMP, 0, 1, 1),
    C("call [abs32]", "ff 14 25 00 10 fe 7f", 7, 0),
    C("int 2e", "cd 2e", 2, F_SYS),

    /* --- terminators --- */
    C("ret imm16", "c2 08 00", 3, F_TERM),
    C("retf", "cb", 1, F_TERM),
    C("retf imm16", "ca 10 00", 3, F_TERM),
    C("int3", "cc", 1, F_TERM),
    C("iret", "cf", 1, F_TERM),
    C("iretq", "48 cf", 2, F_TERM),
    C("hlt", "f4", 1, F_TERM),
    C("ud2", "0f 0b", 2, F_TERM),
    C("ud1", "0f b9 c0", 3, F_TERM),
    C("rep ret", "f3 c3", 2, F_TERM),
    C("bnd ret", "f2 c3", 2, F_TERM),
    C("jmp rax", "ff e0", 2, F_TERM),
    C("jmp r11", "41 ff e3", 3, F_TERM),
    C("notrack jmp rax", "3e ff e0", 3, F_TERM),
    C("jmp far [rsp]", "ff 2c 24", 3, F_TERM),
    R("jmp [rip+x] (import thunk)", "ff 25 62 fe 04 00", 6, F_RIP | F_TERM, 2, 0x4fe62),
    C("call rax", "ff d0", 2, 0),
    C("int 29 (fastfail)", "cd 29", 2, 0),
    C("int1", "f1", 1, 0),

    /* --- plain one-byte map and MSVC/GCC prologues --- */
    C("nop", "90", 1, 0),
    C("push rbp", "55", 1, 0),
    C("push r15", "41 57", 2, 0),
    C("push rbx (ff /6)", "ff f3", 2, 0),
    C("push [rsp+8]", "ff 74 24 08", 4, 0),
    C("pop rax (8f /0)", "8f c0", 2, 0),
    C("pop [rax+8]", "8f 40 08", 3, 0),
    C("mov [rsp+8],rbx", "48 89 5c 24 08", 5, 0),
    C("rex push rbx", "40 53", 2, 0),
    C("sub rsp,20", "48 83 ec 20", 4, 0),
    C("mov rax,rsp", "48 8b c4", 3, 0),
    C("mov r11,rsp", "4c 8b dc", 3, 0),
    C("sub rsp,598", "48 81 ec 98 05 00 00", 7, 0),
    C("wine hot-patch lea", "48 8d a4 24 00 00 00 00", 8, 0),
    C("mov eax,[rsp+8]", "8b 44 24 08", 4, 0),
    C("mov eax,[rsp+100]", "8b 84 24 00 01 00 00", 7, 0),
    C("mov eax,[rbp+8]", "8b 45 08", 3, 0),
    C("mov eax,[r13+0]", "41 8b 45 00", 4, 0),
    C("mov eax,[r12]", "41 8b 04 24", 4, 0),
    C("mov eax,[rax]", "8b 00", 2, 0),
    C("mov eax,ebp", "8b c5", 2, 0),
    C("mov eax,[rax*1+disp32]", "8b 04 05 00 00 00 00", 7, 0),
    C("mov eax,[rbp+rax*2+disp32]", "8b 84 45 10 00 00 00", 7, 0),
    C("movsxd rax,ecx", "48 63 c1", 3, 0),
    C("xchg ax,ax", "66 90", 2, 0),
    C("cwde/cdq", "99", 1, 0),
    C("fwait", "9b", 1, 0),
    C("x87 fld qword [rsp+8]", "dd 44 24 08", 4, 0),
    C("x87 fstp st1", "dd d9", 2, 0),
    C("xlat", "d7", 1, 0),
    C("rep stosq", "f3 48 ab", 3, 0),
    C("lock cmpxchg [rdx],rcx", "f0 48 0f b1 0a", 5, 0),
    C("mov rax,fs:[30]", "64 48 8b 04 25 30 00 00 00", 9, 0),
    C("mov rax,gs:[30]", "65 48 8b 04 25 30 00 00 00", 9, 0),
    C("endbr64", "f3 0f 1e fa", 4, 0),
    C("in al,12", "e4 12", 2, 0),
    C("out 12,al", "e6 12", 2, 0),
    C("in al,dx", "ec", 1, 0),
    C("leave", "c9", 1, 0),
    C("sahf", "9e", 1, 0),
    C("inc al", "fe c0", 2, 0),

    /* --- RIP-relative operands --- */
    R("mov rax,[rip+x]", "48 8b 05 41 bb 04 00", 7, F_RIP, 3, 0x4bb41),
    R("lea rcx,[rip+x]", "48 8d 0d f5 8f 06 00", 7, F_RIP, 3, 0x68ff5),
    R("lea r12,[rip+x]", "4c 8d 25 d5 4b 03 00", 7, F_RIP, 3, 0x34bd5),
    R("mov eax,[rip+x] (rex.b still rip)", "41 8b 05 fc ff ff ff", 7, F_RIP, 3, -4),
    R("call [rip+x]", "ff 15 76 4e 09 00", 6, F_RIP, 2, 0x94e76),
    R("movdqu xmm0,[rip+x]", "f3 0f 6f 05 51 bb 04 00", 8, F_RIP, 4, 0x4bb51),
    R("mov dword [rip+x],imm32", "c7 05 10 00 00 00 01 00 00 00", 10, F_RIP, 2, 0x10),
    R("mov word [rip+x],imm16", "66 c7 05 10 00 00 00 34 12", 9, F_RIP, 3, 0x10),
    R("cmp byte [rip+x],0", "80 3d 00 00 00 80 00", 7, F_RIP, 2, INT32_MIN),
    R("lock inc dword [rip+x]", "f0 ff 05 10 00 00 00", 7, F_RIP, 3, 0x10),
    R("test dword [rip+x],imm32", "f7 05 10 00 00 00 78 56 34 12", 10, F_RIP, 2, 0x10),
    C("EIP-relative refused", "67 8b 05 00 00 00 00", 0, 0),

    /* --- immediates, 66 and REX.W --- */
    C("mov ax,imm16", "66 b8 34 12", 4, 0),
    C("mov eax,imm32", "b8 78 56 34 12", 5, 0),
    C("mov rax,imm64", "48 b8 88 77 66 55 44 33 22 11", 10, 0),
    C("mov r10,imm64", "49 ba 88 77 66 55 44 33 22 11", 10, 0),
    C("66 rex.w mov imm64", "66 48 b8 88 77 66 55 44 33 22 11", 11, 0),
    C("mov al,imm8", "b0 12", 2, 0),
    C("add ax,imm16", "66 05 34 12", 4, 0),
    C("add eax,imm32", "05 78 56 34 12", 5, 0),
    C("add rax,imm32", "48 05 78 56 34 12", 6, 0),
    C("66 rex.w add rax,imm32", "66 48 05 78 56 34 12", 7, 0),
    C("add cx,imm16", "66 81 c1 34 12", 5, 0),
    C("add ecx,imm32", "81 c1 78 56 34 12", 6, 0),
    C("add ecx,imm8", "83 c1 12", 3, 0),
    C("add cx,imm8", "66 83 c1 12", 4, 0),
    C("push imm32", "68 78 56 34 12", 5, 0),
    C("push imm16", "66 68 34 12", 4, 0),
    C("push imm8", "6a 12", 2, 0),
    C("imul eax,imm32", "69 c0 78 56 34 12", 6, 0),
    C("imul ax,imm16", "66 69 c0 34 12", 5, 0),
    C("imul eax,imm8", "6b c0 12", 3, 0),
    C("test al,imm8", "a8 12", 2, 0),
    C("test eax,imm32", "a9 78 56 34 12", 5, 0),
    C("test ax,imm16", "66 a9 34 12", 4, 0),
    C("mov byte [rax],imm8", "c6 00 12", 3, 0),
    C("mov dword [rax],imm32", "c7 00 78 56 34 12", 6, 0),
    C("mov word [rax],imm16", "66 c7 00 34 12", 5, 0),
    C("mov rcx,-1", "48 c7 c1 ff ff ff ff", 7, 0),
    C("xabort imm8", "c6 f8 12", 3, 0),
    C("shl eax,4", "c1 e0 04", 3, 0),
    C("shl al,4", "c0 e0 04", 3, 0),
    C("shl eax,1", "d1 e0", 2, 0),
    C("shl eax,cl", "d3 e0", 2, 0),
    C("ret 16-bit", "66 c3", 2, F_TERM),

    /* --- F6/F7: only /0 and /1 carry an immediate --- */
    C("test cl,imm8", "f6 c1 01", 3, 0),
    C("test cl,imm8 (/1)", "f6 c9 01", 3, 0),
    C("not cl", "f6 d1", 2, 0),
    C("test ecx,imm32", "f7 c1 78 56 34 12", 6, 0),
    C("test cx,imm16", "66 f7 c1 34 12", 5, 0),
    C("test rcx,imm32", "48 f7 c1 78 56 34 12", 7, 0),
    C("neg ecx", "f7 d9", 2, 0),
    C("div ecx", "f7 f1", 2, 0),
    C("idiv qword [rsp+8]", "48 f7 7c 24 08", 5, 0),
    C("test byte [rsp+8],1", "f6 44 24 08 01", 5, 0),

    /* --- moffs --- */
    C("mov al,[moffs64]", "a0 88 77 66 55 44 33 22 11", 9, 0),
    C("mov rax,[moffs64]", "48 a1 88 77 66 55 44 33 22 11", 10, 0),
    C("mov [moffs64],al", "a2 88 77 66 55 44 33 22 11", 9, 0),
    C("mov [moffs64],eax", "a3 88 77 66 55 44 33 22 11", 9, 0),
    C("mov ax,[moffs64]", "66 a1 88 77 66 55 44 33 22 11", 10, 0),
    C("mov al,[moffs32]", "67 a0 44 33 22 11", 6, 0),

    /* --- enter --- */
    C("enter imm16,imm8", "c8 10 00 00", 4, 0),
    C("enter 66", "66 c8 10 00 01", 5, 0),

    /* --- relative branches --- */
    J("call rel32", "e8 00 00 00 00", 5, F_REL, BR_CALL, 0, 0, 1),
    J("call rel32 back", "e8 b7 fe ff ff", 5, F_REL, BR_CALL, 0, -0x149, 1),
    J("jmp rel32", "e9 fb ff ff ff", 5, F_REL | F_TERM, BR_JMP, 0, -5, 1),
    J("jmp rel8 self", "eb fe", 2, F_REL | F_TERM, BR_JMP, 0, -2, 1),
    J("jo rel8", "70 10", 2, F_REL, BR_JCC, 0, 16, 1),
    J("jg rel8", "7f f0", 2, F_REL, BR_JCC, 15, -16, 1),
    J("je rel32", "0f 84 10 01 00 00", 6, F_REL, BR_JCC, 4, 0x110, 2),
    J("jg rel32 min", "0f 8f 00 00 00 80", 6, F_REL, BR_JCC, 15, INT32_MIN, 2),
    J("jb rel32 (rex)", "48 0f 82 01 00 00 00", 7, F_REL, BR_JCC, 2, 1, 3),
    J("loopne", "e0 05", 2, F_REL, BR_LOOP, 0, 5, 1),
    J("loope", "e1 05", 2, F_REL, BR_LOOP, 0, 5, 1),
    J("loop", "e2 fe", 2, F_REL, BR_LOOP, 0, -2, 1),
    J("jrcxz", "e3 05", 2, F_REL, BR_LOOP, 0, 5, 1),
    J("jecxz", "67 e3 05", 3, F_REL, BR_LOOP, 0, 5, 2),
    J("bnd call", "f2 e8 00 01 00 00", 6, F_REL, BR_CALL, 0, 0x100, 2),
    J("hinted je", "3e 74 05", 3, F_REL, BR_JCC, 4, 5, 2),
    J("tls call padding", "66 66 48 e8 c8 3b ff ff", 8, F_REL, BR_CALL, 0, -0xc438, 4),
    C("66 call rel16 refused", "66 e8 00 00 00 00", 0, 0),
    C("66 jmp rel16 refused", "66 e9 00 00 00 00", 0, 0),
    C("66 jcc rel8 refused", "66 74 05", 0, 0),
    C("66 jcc rel16 refused", "66 0f 84 00 00 00 00", 0, 0),
    C("xbegin refused", "c7 f8 00 00 00 00", 0, 0),

    /* --- prefix combinations and the 15-byte limit --- */
    C("nopw 6", "66 0f 1f 44 00 00", 6, 0),
    C("nopw 10", "66 2e 0f 1f 84 00 00 00 00 00", 10, 0),
    C("nopw 11", "66 66 2e 0f 1f 84 00 00 00 00 00", 11, 0),
    C("15-byte nop", "66 66 66 66 66 66 2e 0f 1f 84 00 00 00 00 00", 15, 0),
    C("16-byte nop refused", "66 66 66 66 66 66 66 2e 0f 1f 84 00 00 00 00 00", 0, 0),
    C("14 prefixes + nop", "66 66 66 66 66 66 66 66 66 66 66 66 66 66 90", 15, 0),
    C("15 prefixes + nop refused", "66 66 66 66 66 66 66 66 66 66 66 66 66 66 66 90", 0, 0),
    C("only prefixes", "66 67 f0 f2 f3 2e 36 3e 26 64 65", 0, 0),
    C("many prefix kinds", "f0 f2 f3 66 67 2e 36 3e 26 64 65 48 01 00", 14, 0),
    C("rex then prefix (rex ignored)", "48 66 90", 3, 0),
    C("rex rex", "48 48 89 c8", 4, 0),
    C("rex before prefix: imm from 66", "48 66 b8 34 12", 5, 0),
    C("lone rex", "48", 0, 0),
    C("ds segment", "3e 8b 00", 3, 0),
    C("ss segment", "36 8b 00", 3, 0),
    C("es segment", "26 8b 00", 3, 0),

    /* --- 0F map --- */
    C("nopl 3", "0f 1f 00", 3, 0),
    C("nopl 4", "0f 1f 40 00", 4, 0),
    C("nopl 5", "0f 1f 44 00 00", 5, 0),
    C("nopl 7", "0f 1f 80 00 00 00 00", 7, 0),
    C("nopl 8", "0f 1f 84 00 00 00 00 00", 8, 0),
    C("cpuid", "0f a2", 2, 0),
    C("rdtsc", "0f 31", 2, 0),
    C("sysenter", "0f 34", 2, 0),
    C("xgetbv", "0f 01 d0", 3, 0),
    C("rdtscp", "0f 01 f9", 3, 0),
    C("sgdt [rax]", "0f 01 00", 3, 0),
    C("mfence", "0f ae f0", 3, 0),
    C("stmxcsr [rsp+8]", "0f ae 5c 24 08", 5, 0),
    C("mov rax,cr0", "0f 20 c0", 3, 0),
    C("mov cr3,rax", "0f 22 d8", 3, 0),
    C("mov cr: mod ignored", "0f 20 05 aa bb cc dd", 3, 0),
    C("mov dr7,rax", "0f 23 f8", 3, 0),
    C("prefetchw", "0f 0d 08", 3, 0),
    C("prefetcht0", "0f 18 08", 3, 0),
    C("femms", "0f 0e", 2, 0),
    C("3dnow pfmul", "0f 0f c1 b4", 4, 0),
    C("movzx eax,al", "0f b6 c0", 3, 0),
    C("movsx rax,al", "48 0f be c0", 4, 0),
    C("imul eax,ecx", "0f af c1", 3, 0),
    C("cmove eax,ecx", "0f 44 c1", 3, 0),
    C("sete al", "0f 94 c0", 3, 0),
    C("bt eax,ecx", "0f a3 c8", 3, 0),
    C("bt eax,imm8", "0f ba e0 05", 4, 0),
    C("shld edx,eax,imm8", "0f a4 c2 05", 4, 0),
    C("shld edx,eax,cl", "0f a5 c2", 3, 0),
    C("shrd edx,eax,imm8", "0f ac c2 05", 4, 0),
    C("popcnt", "f3 0f b8 c1", 4, 0),
    C("tzcnt", "f3 48 0f bc c1", 5, 0),
    C("bswap eax", "0f c8", 2, 0),
    C("bswap r8", "49 0f c8", 3, 0),
    C("cmpxchg8b [rsi]", "0f c7 0e", 3, 0),
    C("cmpxchg16b [rsi]", "48 0f c7 0e", 4, 0),
    C("rdrand eax", "0f c7 f0", 3, 0),
    C("cmpps imm8", "0f c2 c1 01", 4, 0),
    C("shufpd imm8", "66 0f c6 c1 01", 5, 0),
    C("pinsrw imm8", "66 0f c4 c1 01", 5, 0),
    C("pshufd imm8", "66 0f 70 c1 1b", 5, 0),
    C("psrlw imm8", "66 0f 71 d0 02", 5, 0),
    C("psrad imm8", "66 0f 72 e0 05", 5, 0),
    C("psrldq imm8", "66 0f 73 d8 08", 5, 0),
    C("emms", "0f 77", 2, 0),
    C("movaps [rsp+20],xmm0", "0f 29 44 24 20", 5, 0),
    C("movdqa xmm0,[rsp+20]", "66 0f 6f 44 24 20", 6, 0),
    C("extrq imm", "66 0f 78 c0 04 08", 6, 0),
    C("insertq imm", "f2 0f 78 c1 04 08", 6, 0),
    C("extrq reg", "66 0f 79 c1", 4, 0),
    C("vmread", "0f 78 c1", 3, 0),

    /* --- 0F38 / 0F3A --- */
    C("pshufb", "66 0f 38 00 c1", 5, 0),
    C("ptest", "66 0f 38 17 c1", 5, 0),
    C("crc32", "f2 0f 38 f1 c1", 5, 0),
    C("movbe eax,[rax]", "0f 38 f0 00", 4, 0),
    R("aesenc [rip+x]", "66 0f 38 dc 05 10 00 00 00", 9, F_RIP, 5, 0x10),
    C("sha256rnds2", "0f 38 cb c1", 4, 0),
    C("palignr imm8", "66 0f 3a 0f c1 08", 6, 0),
    C("pextrd imm8", "66 0f 3a 16 c0 01", 6, 0),
    C("pextrq imm8", "66 48 0f 3a 16 c0 01", 7, 0),
    C("pclmulqdq", "66 0f 3a 44 c1 00", 6, 0),
    R("palignr [rip+x],imm8", "66 0f 3a 0f 05 10 00 00 00 08", 10, F_RIP, 5, 0x10),
    C("roundsd", "66 0f 3a 0b c1 04", 6, 0),

    /* --- VEX --- */
    C("vzeroupper", "c5 f8 77", 3, 0),
    C("vzeroall", "c5 fc 77", 3, 0),
    C("vmovdqa xmm0,xmm1", "c5 f9 6f c1", 4, 0),
    R("vmovdqa ymm0,[rip+x]", "c5 fd 6f 05 10 00 00 00", 8, F_RIP, 4, 0x10),
    C("vmovups [rsp+20],ymm0", "c5 fc 11 44 24 20", 6, 0),
    C("vpshufd imm8", "c5 f9 70 c1 1b", 5, 0),
    C("vcmpps imm8", "c5 f8 c2 c1 01", 5, 0),
    R("vbroadcastss [rip+x]", "c4 e2 7d 18 05 10 00 00 00", 9, F_RIP, 5, 0x10),
    C("vpshufb", "c4 e2 79 00 c1", 5, 0),
    C("vinsertf128 imm8", "c4 e3 7d 18 c1 01", 6, 0),
    R("vpalignr [rip+x],imm8", "c4 e3 79 0f 05 10 00 00 00 04", 10, F_RIP, 5, 0x10),
    C("vmovss xmm0,[r12+8]", "c4 c1 7a 10 44 24 08", 7, 0),
    C("andn", "c4 e2 70 f2 c2", 5, 0),
    C("shlx", "c4 e2 f9 f7 c1", 5, 0),
    C("rorx imm8", "c4 e3 fb f0 c1 05", 6, 0),
    C("vex map 0 refused", "c4 e0 79 00 c1", 0, 0),
    C("vex map 4 refused", "c4 e4 79 00 c1", 0, 0),
    C("rex + vex refused", "48 c5 f8 77", 0, 0),
    C("66 + vex refused", "66 c5 f8 77", 0, 0),
    C("f3 + vex refused", "f3 c4 e2 79 00 c1", 0, 0),

    /* --- EVEX --- */
    C("vmovups zmm0,zmm1", "62 f1 7c 48 10 c1", 6, 0),
    C("vmovups zmm0,[rsp+40]", "62 f1 7c 48 10 44 24 01", 8, 0),
    R("vmovdqa64 zmm0,[rip+x]", "62 f1 fd 48 6f 05 10 00 00 00", 10, F_RIP, 6, 0x10),
    C("vpcmpud k1,zmm0,zmm1,imm8", "62 f3 7d 48 1e c9 01", 7, 0),
    C("vpshufd zmm imm8", "62 f1 7d 48 70 c1 1b", 7, 0),
    C("evex bad P1 refused", "62 f1 78 48 10 c1", 0, 0),
    C("evex map 0 refused", "62 f0 7c 48 10 c1", 0, 0),

    /* --- invalid in 64-bit mode --- */
    C("push es", "06", 0, 0),
    C("pop es", "07", 0, 0),
    C("push cs", "0e", 0, 0),
    C("push ss", "16", 0, 0),
    C("pop ss", "17", 0, 0),
    C("push ds", "1e", 0, 0),
    C("pop ds", "1f", 0, 0),
    C("daa", "27", 0, 0),
    C("das", "2f", 0, 0),
    C("aaa", "37", 0, 0),
    C("aas", "3f", 0, 0),
    C("pusha", "60", 0, 0),
    C("popa", "61", 0, 0),
    C("82 alias", "82 c0 01", 0, 0),
    C("call far", "9a 00 00 00 00 00 00", 0, 0),
    C("into", "ce", 0, 0),
    C("aam", "d4 0a", 0, 0),
    C("aad", "d5 0a", 0, 0),
    C("salc", "d6", 0, 0),
    C("jmp far", "ea 00 00 00 00 00 00", 0, 0),
    C("c6 /1", "c6 08 12", 0, 0),
    C("c7 /1", "c7 08 00 00 00 00", 0, 0),
    C("fe /2", "fe d0", 0, 0),
    C("ff /7", "ff 38", 0, 0),
    C("ff /3 register", "ff d8", 0, 0),
    C("ff /5 register", "ff e8", 0, 0),
    C("xop", "8f e8 78 c2 ec 0e", 0, 0),
    C("0f 04", "0f 04", 0, 0),
    C("0f 0a", "0f 0a", 0, 0),
    C("0f 24", "0f 24 c0", 0, 0),
    C("0f 36", "0f 36", 0, 0),
    C("0f 39", "0f 39", 0, 0),
    C("0f a6", "0f a6", 0, 0),
    C("0f 7a", "0f 7a c0", 0, 0),
    C("0f 38 50 (undefined)", "0f 38 50 c0", 0, 0),
    C("0f 3a 00 (undefined)", "0f 3a 00 c0 00", 0, 0),

    /* --- truncated input --- */
    C("empty", "", 0, 0),
    C("lone 0f", "0f", 0, 0),
    C("lone 0f 38", "0f 38", 0, 0),
    C("lone c4", "c4", 0, 0),
    C("lone c5", "c5", 0, 0),
    C("lone 62", "62", 0, 0),
    C("vex no modrm", "c4 e2 7d 18", 0, 0),
    C("mov imm64 cut", "48 b8 88 77 66 55 44 33 22", 0, 0),
    C("rip disp cut", "48 8b 05 41 bb 04", 0, 0),
    C("sib cut", "8b 04", 0, 0),
    C("imm after disp cut", "c7 05 10 00 00 00 01 00 00", 0, 0),
};

static size_t parse_hex(const char *s, uint8_t *out, size_t cap)
{
    size_t n = 0;
    while (*s) {
        unsigned v;
        if (*s == ' ') {
            s++;
            continue;
        }
        if (n >= cap || sscanf(s, "%2x", &v) != 1)
            return (size_t)-1;
        out[n++] = (uint8_t)v;
        s += 2;
    }
    return n;
}

/* Decodes from an exact-size heap copy so ASan flags any over-read. */
static int decode_exact(const uint8_t *b, size_t n, x64_insn *d)
{
    uint8_t *copy = malloc(n ? n : 1);
    int len;
    if (!copy)
        abort();
    memcpy(copy, b, n);
    len = x64_decode(copy, n, d);
    free(copy);
    return len;
}

static void test_table(void)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const dcase *c = &cases[i];
        uint8_t buf[32];
        x64_insn d;
        size_t n = parse_hex(c->hex, buf, sizeof buf);
        int len;

        unit_ctx = c->name;
        CHECK(n != (size_t)-1);
        if (n == (size_t)-1)
            continue;
        len = decode_exact(buf, n, &d);
        CHECK_EQ_INT(len, c->len);
        if (len != c->len || len == 0)
            continue;
        CHECK_EQ_INT(d.len, c->len);
        CHECK_EQ_INT(d.flags, c->flags);
        if (c->flags & F_RIP) {
            CHECK_EQ_INT(d.disp_off, c->disp_off);
            CHECK_EQ_INT(d.disp, c->disp);
        }
        if (c->flags & F_REL) {
            CHECK_EQ_INT(d.branch, c->branch);
            CHECK_EQ_INT(d.rel, c->rel);
            CHECK_EQ_INT(d.rel_off, c->rel_off);
            CHECK_EQ_INT(d.rel_size, c->len - c->rel_off);
            if (c->branch == BR_JCC)
                CHECK_EQ_INT(d.cond, c->cond);
        } else {
            CHECK_EQ_INT(d.branch, BR_NONE);
        }
        /* every shorter buffer must be refused */
        for (size_t k = 0; k < (size_t)len; k++) {
            int short_len = decode_exact(buf, k, &d);
            if (short_len != 0) {
                CHECK_EQ_INT(short_len, 0);
                printf("    (with avail=%zu)\n", k);
            }
        }
        /* a NULL output pointer is allowed */
        CHECK_EQ_INT(x64_decode(buf, n, NULL), c->len);
    }
    unit_ctx = "";
}

static void test_misc(void)
{
    x64_insn d;
    uint8_t nop[20];

    unit_ctx = "misc";
    CHECK_EQ_INT(x64_decode(NULL, 10, &d), 0);
    memset(nop, 0x90, sizeof nop);
    CHECK_EQ_INT(x64_decode(nop, sizeof nop, &d), 1); /* avail > 15 is fine */
    /* output is zeroed on failure */
    memset(&d, 0xAB, sizeof d);
    CHECK_EQ_INT(x64_decode((const uint8_t *)"\x06", 1, &d), 0);
    CHECK_EQ_INT(d.len, 0);
    CHECK_EQ_INT(d.flags, 0);
    unit_ctx = "";
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint32_t rng(void)
{
    /* xorshift64* */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 0x2545F4914F6CDD1Dull) >> 32);
}

/* Random buffers, half of them biased toward prefixes and escape bytes so
 * the deeper paths are reached. Length must stay within avail and 15,
 * fields within the instruction, and the result must not depend on
 * bytes past the instruction. */
static void test_random(void)
{
    static const uint8_t hot[] = {
        0x66, 0x67, 0xF2, 0xF3, 0xF0, 0x2E, 0x3E, 0x26, 0x64, 0x65, 0x36,
        0x48, 0x41, 0x4C, 0x0F, 0x38, 0x3A, 0xC4, 0xC5, 0x62, 0x8F, 0x05,
        0x25, 0x04, 0x44, 0x84, 0xF6, 0xF7, 0xFF, 0xA1, 0xB8, 0xC8, 0xE8,
    };
    int bad = 0, ok = 0;

    unit_ctx = "random";
    for (int iter = 0; iter < 200000 && bad < 10; iter++) {
        size_t n = rng() % 21;
        uint8_t *b = malloc(n ? n : 1);
        x64_insn d;
        int len;
        if (!b)
            abort();
        for (size_t k = 0; k < n; k++) {
            if ((iter & 1) && (rng() & 1))
                b[k] = hot[rng() % sizeof hot];
            else
                b[k] = (uint8_t)rng();
        }
        len = x64_decode(b, n, &d);
        if (len < 0 || (size_t)len > n || len > 15) {
            bad++;
            unit_fail_head(__FILE__, __LINE__);
            printf("length %d with avail %zu\n", len, n);
            unit_dump("bytes", b, n);
        } else if (len > 0) {
            int again = decode_exact(b, (size_t)len, NULL);
            int fields_ok = d.len == len;
            if (d.flags & X64_F_RIPREL)
                fields_ok = fields_ok && d.disp_off + 4 <= len;
            if (d.flags & X64_F_REL)
                fields_ok = fields_ok && d.rel_off + d.rel_size == len &&
                            (d.rel_size == 1 || d.rel_size == 4);
            if (again != len || !fields_ok) {
                bad++;
                unit_fail_head(__FILE__, __LINE__);
                printf("inconsistent decode: len %d, exact-size len %d\n",
                       len, again);
                unit_dump("bytes", b, n);
            } else {
                ok++;
            }
        }
        free(b);
    }
    CHECK_EQ_INT(bad, 0);
    CHECK(ok > 1000); /* the generator does reach valid instructions */
    unit_ctx = "";
}

int main(void)
{
    test_table();
    test_misc();
    test_random();
    return UNIT_REPORT();
}
