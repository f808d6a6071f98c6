/*
 * MSHV accelerator, x86: the instruction executor for intercepted memory
 * accesses and string port I/O
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "qemu/host-utils.h"
#include "mshv-emu.h"
#include "mshv-emu-flags.h"

/* General purpose register numbers, in encoding order. */
enum { GPR_RCX = 1, GPR_RDX = 2, GPR_RSI = 6, GPR_RDI = 7 };

/*
 * Iterations of a REP string instruction executed per intercept: a guest
 * can ask for 2^64, so a bounded batch runs and the instruction runs
 * again (as hardware may stop between iterations); the vCPU stays
 * responsive to kicks.
 */
#define MSHV_EMU_STRING_BATCH   4096

/* A register written with an address-size width: 32 bits zero-extend. */
static uint64_t addr_update(uint64_t old, uint64_t val, unsigned width)
{
    if (width == 32) {
        return (uint32_t)val;
    }
    return (old & ~width_mask(width)) | (val & width_mask(width));
}

static uint64_t sign_extend(uint64_t v, unsigned bits)
{
    return bits >= 64 ? v : (uint64_t)((int64_t)(v << (64 - bits)) >>
                                       (64 - bits));
}

/* ---- Registers ----------------------------------------------------------- */

/* GPR index and bit position of a Zydis general purpose register. */
static bool gpr_of(ZydisRegister reg, int *index, unsigned *shift)
{
    *shift = 0;
    if (reg >= ZYDIS_REGISTER_AL && reg <= ZYDIS_REGISTER_BL) {
        *index = reg - ZYDIS_REGISTER_AL;
    } else if (reg >= ZYDIS_REGISTER_AH && reg <= ZYDIS_REGISTER_BH) {
        *index = reg - ZYDIS_REGISTER_AH;
        *shift = 8;
    } else if (reg >= ZYDIS_REGISTER_SPL && reg <= ZYDIS_REGISTER_R15B) {
        *index = 4 + reg - ZYDIS_REGISTER_SPL;
    } else if (reg >= ZYDIS_REGISTER_AX && reg <= ZYDIS_REGISTER_R15W) {
        *index = reg - ZYDIS_REGISTER_AX;
    } else if (reg >= ZYDIS_REGISTER_EAX && reg <= ZYDIS_REGISTER_R15D) {
        *index = reg - ZYDIS_REGISTER_EAX;
    } else if (reg >= ZYDIS_REGISTER_RAX && reg <= ZYDIS_REGISTER_R15) {
        *index = reg - ZYDIS_REGISTER_RAX;
    } else {
        return false;
    }
    return true;
}

static unsigned reg_width(MshvEmu *e, ZydisRegister reg)
{
    return ZydisRegisterGetWidth(e->mode, reg);
}

static bool reg_read(MshvEmu *e, ZydisRegister reg, uint64_t *v)
{
    unsigned shift;
    int i;

    if (!gpr_of(reg, &i, &shift)) {
        return false;
    }
    *v = (e->gpr[i] >> shift) & width_mask(reg_width(e, reg));
    return true;
}

static bool reg_write(MshvEmu *e, ZydisRegister reg, uint64_t v)
{
    unsigned width = reg_width(e, reg), shift;
    uint64_t mask;
    int i;

    if (!gpr_of(reg, &i, &shift)) {
        return false;
    }
    if (width == 32) {
        /* 32-bit destinations zero bits 63:32. */
        e->gpr[i] = (uint32_t)v;
    } else {
        mask = width_mask(width) << shift;
        e->gpr[i] = (e->gpr[i] & ~mask) | ((v << shift) & mask);
    }
    e->gpr_written |= 1u << i;
    return true;
}

/* ---- Memory operands ----------------------------------------------------- */

static uint64_t seg_base(MshvEmu *e, ZydisRegister seg)
{
    /* In 64-bit mode only FS and GS have a base. */
    if (e->mode == ZYDIS_MACHINE_MODE_LONG_64 &&
        seg != ZYDIS_REGISTER_FS && seg != ZYDIS_REGISTER_GS) {
        return 0;
    }
    return e->ops->seg_base(e, seg);
}

static uint64_t linear(MshvEmu *e, ZydisRegister seg, uint64_t offset,
                       unsigned addr_width)
{
    uint64_t la = seg_base(e, seg) + (offset & width_mask(addr_width));

    return e->mode == ZYDIS_MACHINE_MODE_LONG_64 ? la : (uint32_t)la;
}

static bool mem_address(MshvEmu *e, const ZydisDecodedInstruction *insn,
                        const ZydisDecodedOperand *op, uint64_t *la)
{
    uint64_t off = op->mem.disp.has_displacement ? op->mem.disp.value : 0;
    uint64_t v;

    if (op->mem.base == ZYDIS_REGISTER_RIP ||
        op->mem.base == ZYDIS_REGISTER_EIP) {
        off += e->rip + insn->length;
    } else if (op->mem.base != ZYDIS_REGISTER_NONE) {
        if (!reg_read(e, op->mem.base, &v)) {
            return false;
        }
        off += v;
    }
    if (op->mem.index != ZYDIS_REGISTER_NONE) {
        if (!reg_read(e, op->mem.index, &v)) {
            return false;
        }
        off += v * (op->mem.scale ? op->mem.scale : 1);
    }
    *la = linear(e, op->mem.segment, off, insn->address_width);
    return true;
}

static int mem_rw(MshvEmu *e, uint64_t la, uint64_t *v, unsigned bits,
                  bool write)
{
    uint64_t buf = write ? *v : 0;

    if (e->ops->mem(e, la, &buf, bits / 8, write) < 0) {
        return -1;
    }
    if (!write) {
        *v = buf & width_mask(bits);
    }
    return 0;
}

/* ---- Operands ------------------------------------------------------------ */

typedef enum {
    OP_OK,
    OP_BAD,                     /* an operand form we do not handle */
    OP_STOP,                    /* memory callback failed */
} OpStatus;

static OpStatus op_read(MshvEmu *e, const ZydisDecodedInstruction *insn,
                        const ZydisDecodedOperand *op, uint64_t *v)
{
    uint64_t la;

    switch (op->type) {
    case ZYDIS_OPERAND_TYPE_REGISTER:
        return reg_read(e, op->reg.value, v) ? OP_OK : OP_BAD;
    case ZYDIS_OPERAND_TYPE_IMMEDIATE:
        *v = op->imm.value.u & width_mask(op->size);
        return OP_OK;
    case ZYDIS_OPERAND_TYPE_MEMORY:
        if (op->size > 64 || !mem_address(e, insn, op, &la)) {
            return OP_BAD;
        }
        return mem_rw(e, la, v, op->size, false) < 0 ? OP_STOP : OP_OK;
    default:
        return OP_BAD;
    }
}

static OpStatus op_write(MshvEmu *e, const ZydisDecodedInstruction *insn,
                         const ZydisDecodedOperand *op, uint64_t v)
{
    uint64_t la;

    switch (op->type) {
    case ZYDIS_OPERAND_TYPE_REGISTER:
        return reg_write(e, op->reg.value, v) ? OP_OK : OP_BAD;
    case ZYDIS_OPERAND_TYPE_MEMORY:
        if (op->size > 64 || !mem_address(e, insn, op, &la)) {
            return OP_BAD;
        }
        return mem_rw(e, la, &v, op->size, true) < 0 ? OP_STOP : OP_OK;
    default:
        return OP_BAD;
    }
}

/* ---- Flags --------------------------------------------------------------- */

static void set_flags(MshvEmu *e, uint32_t mask, uint32_t flags)
{
    e->rflags = (e->rflags & ~(uint64_t)mask) | (flags & mask);
}

/* ---- Instructions -------------------------------------------------------- */

static MshvEmuResult status(OpStatus s)
{
    return s == OP_OK ? MSHV_EMU_DONE :
           s == OP_STOP ? MSHV_EMU_STOPPED : MSHV_EMU_UNSUPPORTED;
}

#define TRY(expr) \
    do { \
        OpStatus s_ = (expr); \
        if (s_ != OP_OK) { \
            return status(s_); \
        } \
    } while (0)

/*
 * SSE moves between an XMM register and memory (guests copy framebuffers
 * and device windows with them).  Loads of 32 or 64 bits zero the rest of
 * the register.  Alignment is not checked: MOVDQA and friends on a
 * misaligned MMIO address move the data instead of raising #GP.
 */
static bool has_xmm_operand(const ZydisDecodedInstruction *insn,
                            const ZydisDecodedOperand *ops)
{
    int i;

    for (i = 0; i < insn->operand_count_visible; i++) {
        if (ops[i].type == ZYDIS_OPERAND_TYPE_REGISTER &&
            ops[i].reg.value >= ZYDIS_REGISTER_XMM0 &&
            ops[i].reg.value <= ZYDIS_REGISTER_XMM31) {
            return true;
        }
    }
    return false;
}

static MshvEmuResult exec_sse_move(MshvEmu *e,
                                   const ZydisDecodedInstruction *insn,
                                   const ZydisDecodedOperand *ops)
{
    const ZydisDecodedOperand *reg, *mem;
    uint8_t value[16] = { 0 };
    unsigned bytes;
    bool load;
    uint64_t la;

    if (insn->encoding != ZYDIS_INSTRUCTION_ENCODING_LEGACY ||
        insn->operand_count_visible != 2 || !e->ops->xmm) {
        return MSHV_EMU_UNSUPPORTED;
    }
    load = ops[1].type == ZYDIS_OPERAND_TYPE_MEMORY;
    reg = load ? &ops[0] : &ops[1];
    mem = load ? &ops[1] : &ops[0];
    bytes = mem->size / 8;
    if (reg->type != ZYDIS_OPERAND_TYPE_REGISTER ||
        reg->reg.value < ZYDIS_REGISTER_XMM0 ||
        reg->reg.value > ZYDIS_REGISTER_XMM15 ||
        mem->type != ZYDIS_OPERAND_TYPE_MEMORY ||
        (bytes != 4 && bytes != 8 && bytes != 16) ||
        !mem_address(e, insn, mem, &la)) {
        return MSHV_EMU_UNSUPPORTED;
    }
    if (load) {
        if (e->ops->mem(e, la, value, bytes, false) < 0 ||
            e->ops->xmm(e, reg->reg.value - ZYDIS_REGISTER_XMM0, value,
                        true) < 0) {
            return MSHV_EMU_STOPPED;
        }
    } else {
        if (e->ops->xmm(e, reg->reg.value - ZYDIS_REGISTER_XMM0, value,
                        false) < 0 ||
            e->ops->mem(e, la, value, bytes, true) < 0) {
            return MSHV_EMU_STOPPED;
        }
    }
    return MSHV_EMU_DONE;
}

static MshvEmuResult exec_alu(MshvEmu *e, const ZydisDecodedInstruction *insn,
                              const ZydisDecodedOperand *ops)
{
    unsigned bits = ops[0].size;
    uint64_t a, b = 0, r, cf = e->rflags & FL_CF;
    uint32_t f;
    bool store = true;

    TRY(op_read(e, insn, &ops[0], &a));
    if (insn->operand_count_visible > 1) {
        TRY(op_read(e, insn, &ops[1], &b));
        b = sign_extend(b, ops[1].size) & width_mask(bits);
    }
    switch (insn->mnemonic) {
    case ZYDIS_MNEMONIC_ADD:
        r = a + b;
        set_flags(e, FL_ARITH, flags_add(a, b, 0, bits));
        break;
    case ZYDIS_MNEMONIC_ADC:
        r = a + b + cf;
        set_flags(e, FL_ARITH, flags_add(a, b, cf, bits));
        break;
    case ZYDIS_MNEMONIC_SUB:
        r = a - b;
        set_flags(e, FL_ARITH, flags_sub(a, b, 0, bits));
        break;
    case ZYDIS_MNEMONIC_SBB:
        r = a - b - cf;
        set_flags(e, FL_ARITH, flags_sub(a, b, cf, bits));
        break;
    case ZYDIS_MNEMONIC_CMP:
        r = a;
        store = false;
        set_flags(e, FL_ARITH, flags_sub(a, b, 0, bits));
        break;
    case ZYDIS_MNEMONIC_AND:
    case ZYDIS_MNEMONIC_TEST:
        r = a & b;
        store = insn->mnemonic == ZYDIS_MNEMONIC_AND;
        set_flags(e, FL_ARITH, flags_result(r, bits));
        break;
    case ZYDIS_MNEMONIC_OR:
        r = a | b;
        set_flags(e, FL_ARITH, flags_result(r, bits));
        break;
    case ZYDIS_MNEMONIC_XOR:
        r = a ^ b;
        set_flags(e, FL_ARITH, flags_result(r, bits));
        break;
    case ZYDIS_MNEMONIC_INC:
        r = a + 1;
        f = flags_add(a, 1, 0, bits);
        set_flags(e, FL_ARITH & ~FL_CF, f);
        break;
    case ZYDIS_MNEMONIC_DEC:
        r = a - 1;
        f = flags_sub(a, 1, 0, bits);
        set_flags(e, FL_ARITH & ~FL_CF, f);
        break;
    case ZYDIS_MNEMONIC_NEG:
        r = -a;
        f = flags_sub(0, a, 0, bits);
        set_flags(e, FL_ARITH, f);
        break;
    case ZYDIS_MNEMONIC_NOT:
        r = ~a;
        break;
    default:
        return MSHV_EMU_UNSUPPORTED;
    }
    if (store) {
        TRY(op_write(e, insn, &ops[0], r & width_mask(bits)));
    }
    return MSHV_EMU_DONE;
}

static MshvEmuResult exec_bt(MshvEmu *e, const ZydisDecodedInstruction *insn,
                             const ZydisDecodedOperand *ops)
{
    unsigned bits = ops[0].size;
    ZydisDecodedOperand dst = ops[0];
    uint64_t a, off;
    bool bit;

    TRY(op_read(e, insn, &ops[1], &off));
    if (ops[1].type == ZYDIS_OPERAND_TYPE_REGISTER &&
        dst.type == ZYDIS_OPERAND_TYPE_MEMORY) {
        /* A register offset reaches beyond the addressed operand. */
        int64_t soff = sign_extend(off, ops[1].size);

        dst.mem.disp.has_displacement = true;
        dst.mem.disp.value += (soff >> (bits == 64 ? 6 : bits == 32 ? 5 : 4)) *
                              (int64_t)(bits / 8);
        off = soff & (bits - 1);
    } else {
        off &= bits - 1;
    }
    TRY(op_read(e, insn, &dst, &a));
    bit = a >> off & 1;
    set_flags(e, FL_CF, bit ? FL_CF : 0);
    switch (insn->mnemonic) {
    case ZYDIS_MNEMONIC_BT:
        return MSHV_EMU_DONE;
    case ZYDIS_MNEMONIC_BTS:
        a |= 1ULL << off;
        break;
    case ZYDIS_MNEMONIC_BTR:
        a &= ~(1ULL << off);
        break;
    default:
        a ^= 1ULL << off;
        break;
    }
    TRY(op_write(e, insn, &dst, a));
    return MSHV_EMU_DONE;
}

static ZydisRegister accumulator(unsigned bits)
{
    return bits == 8 ? ZYDIS_REGISTER_AL : bits == 16 ? ZYDIS_REGISTER_AX :
           bits == 32 ? ZYDIS_REGISTER_EAX : ZYDIS_REGISTER_RAX;
}

/* MOVS, STOS, LODS, CMPS, SCAS, INS, OUTS, with or without REP. */
static MshvEmuResult exec_string(MshvEmu *e,
                                 const ZydisDecodedInstruction *insn,
                                 const ZydisDecodedOperand *ops, bool *more)
{
    unsigned aw = insn->address_width, bits = insn->operand_width;
    uint64_t amask = width_mask(aw);
    bool rep = insn->attributes & (ZYDIS_ATTRIB_HAS_REP |
                                   ZYDIS_ATTRIB_HAS_REPE |
                                   ZYDIS_ATTRIB_HAS_REPNE);
    bool repne = insn->attributes & ZYDIS_ATTRIB_HAS_REPNE;
    int64_t step = (e->rflags & FL_DF) ? -(int64_t)(bits / 8) : bits / 8;
    ZydisRegister src_seg = ZYDIS_REGISTER_DS;
    uint16_t port = e->gpr[GPR_RDX];
    uint64_t total, count, a = 0, b;
    int i;

    /* String operands are hidden ones: the source's segment may be any. */
    for (i = 0; i < insn->operand_count; i++) {
        if (ops[i].type == ZYDIS_OPERAND_TYPE_MEMORY &&
            (ops[i].mem.base == ZYDIS_REGISTER_RSI ||
             ops[i].mem.base == ZYDIS_REGISTER_ESI ||
             ops[i].mem.base == ZYDIS_REGISTER_SI)) {
            src_seg = ops[i].mem.segment;
        }
    }
    total = rep ? e->gpr[GPR_RCX] & amask : 1;
    count = MIN(total, MSHV_EMU_STRING_BATCH);
    *more = total > count;
    while (count) {
        uint64_t si = linear(e, src_seg, e->gpr[GPR_RSI], aw);
        uint64_t di = linear(e, ZYDIS_REGISTER_ES, e->gpr[GPR_RDI], aw);
        bool moves_si = true, moves_di = true, compares = false;

        switch (insn->mnemonic) {
        case ZYDIS_MNEMONIC_MOVSB: case ZYDIS_MNEMONIC_MOVSW:
        case ZYDIS_MNEMONIC_MOVSD: case ZYDIS_MNEMONIC_MOVSQ:
            if (mem_rw(e, si, &a, bits, false) < 0 ||
                mem_rw(e, di, &a, bits, true) < 0) {
                return MSHV_EMU_STOPPED;
            }
            break;
        case ZYDIS_MNEMONIC_STOSB: case ZYDIS_MNEMONIC_STOSW:
        case ZYDIS_MNEMONIC_STOSD: case ZYDIS_MNEMONIC_STOSQ:
            reg_read(e, accumulator(bits), &a);
            if (mem_rw(e, di, &a, bits, true) < 0) {
                return MSHV_EMU_STOPPED;
            }
            moves_si = false;
            break;
        case ZYDIS_MNEMONIC_LODSB: case ZYDIS_MNEMONIC_LODSW:
        case ZYDIS_MNEMONIC_LODSD: case ZYDIS_MNEMONIC_LODSQ:
            if (mem_rw(e, si, &a, bits, false) < 0) {
                return MSHV_EMU_STOPPED;
            }
            reg_write(e, accumulator(bits), a);
            moves_di = false;
            break;
        case ZYDIS_MNEMONIC_CMPSB: case ZYDIS_MNEMONIC_CMPSW:
        case ZYDIS_MNEMONIC_CMPSD: case ZYDIS_MNEMONIC_CMPSQ:
            if (mem_rw(e, si, &a, bits, false) < 0 ||
                mem_rw(e, di, &b, bits, false) < 0) {
                return MSHV_EMU_STOPPED;
            }
            set_flags(e, FL_ARITH, flags_sub(a, b, 0, bits));
            compares = true;
            break;
        case ZYDIS_MNEMONIC_SCASB: case ZYDIS_MNEMONIC_SCASW:
        case ZYDIS_MNEMONIC_SCASD: case ZYDIS_MNEMONIC_SCASQ:
            reg_read(e, accumulator(bits), &a);
            if (mem_rw(e, di, &b, bits, false) < 0) {
                return MSHV_EMU_STOPPED;
            }
            set_flags(e, FL_ARITH, flags_sub(a, b, 0, bits));
            moves_si = false;
            compares = true;
            break;
        case ZYDIS_MNEMONIC_INSB: case ZYDIS_MNEMONIC_INSW:
        case ZYDIS_MNEMONIC_INSD:
            /* The memory first: a fault leaves the port untouched. */
            if (e->ops->mem(e, di, NULL, bits / 8, true) < 0 ||
                e->ops->port(e, port, &a, bits / 8, false) < 0 ||
                mem_rw(e, di, &a, bits, true) < 0) {
                return MSHV_EMU_STOPPED;
            }
            moves_si = false;
            break;
        case ZYDIS_MNEMONIC_OUTSB: case ZYDIS_MNEMONIC_OUTSW:
        case ZYDIS_MNEMONIC_OUTSD:
            if (mem_rw(e, si, &a, bits, false) < 0 ||
                e->ops->port(e, port, &a, bits / 8, true) < 0) {
                return MSHV_EMU_STOPPED;
            }
            moves_di = false;
            break;
        default:
            return MSHV_EMU_UNSUPPORTED;
        }
        if (moves_si) {
            e->gpr[GPR_RSI] = addr_update(e->gpr[GPR_RSI],
                                          e->gpr[GPR_RSI] + step, aw);
            e->gpr_written |= 1u << GPR_RSI;
        }
        if (moves_di) {
            e->gpr[GPR_RDI] = addr_update(e->gpr[GPR_RDI],
                                          e->gpr[GPR_RDI] + step, aw);
            e->gpr_written |= 1u << GPR_RDI;
        }
        count--;
        total--;
        if (rep) {
            e->gpr[GPR_RCX] = addr_update(e->gpr[GPR_RCX], total, aw);
            e->gpr_written |= 1u << GPR_RCX;
            if (compares && !!(e->rflags & FL_ZF) == repne) {
                *more = false;
                break;
            }
        }
    }
    return MSHV_EMU_DONE;
}

/* Whether condition @cc (the low nibble of a Jcc, SETcc or CMOVcc) holds. */
static bool cond_holds(uint64_t fl, unsigned cc)
{
    bool sf_ne_of = !(fl & FL_SF) != !(fl & FL_OF);
    bool r;

    switch (cc >> 1) {
    case 0:
        r = fl & FL_OF;
        break;
    case 1:
        r = fl & FL_CF;
        break;
    case 2:
        r = fl & FL_ZF;
        break;
    case 3:
        r = fl & (FL_CF | FL_ZF);
        break;
    case 4:
        r = fl & FL_SF;
        break;
    case 5:
        r = fl & FL_PF;
        break;
    case 6:
        r = sf_ne_of;
        break;
    default:
        r = (fl & FL_ZF) || sf_ne_of;
        break;
    }
    return r ^ (cc & 1);
}

/*
 * An instruction that reads its memory operand and computes into a
 * register (or, for SETcc and MOVBE's store, writes one): CMOVcc, SETcc,
 * BSF, BSR, POPCNT, MOVBE and two- and three-operand IMUL.  Flags as the
 * SDM defines them; the ones it leaves undefined stay as they were.
 */
static MshvEmuResult exec_compute(MshvEmu *e,
                                  const ZydisDecodedInstruction *insn,
                                  const ZydisDecodedOperand *ops)
{
    unsigned bits = ops[0].size, cc = insn->opcode & 0xf;
    uint64_t a, b, v;
    MshvEmuResult r;

    if (insn->opcode_map == ZYDIS_OPCODE_MAP_0F &&
        (insn->opcode & 0xf0) == 0x90) {
        /* SETcc */
        return status(op_write(e, insn, &ops[0], cond_holds(e->rflags, cc)));
    }
    r = status(op_read(e, insn, &ops[1], &a));
    if (r != MSHV_EMU_DONE) {
        return r;
    }
    a &= width_mask(ops[1].size);
    switch (insn->mnemonic) {
    case ZYDIS_MNEMONIC_BSF:
    case ZYDIS_MNEMONIC_BSR:
        /* a zero source leaves the destination as it was */
        set_flags(e, FL_ZF, a ? 0 : FL_ZF);
        if (!a) {
            return MSHV_EMU_DONE;
        }
        v = insn->mnemonic == ZYDIS_MNEMONIC_BSF ? ctz64(a) : 63 - clz64(a);
        break;
    case ZYDIS_MNEMONIC_POPCNT:
        set_flags(e, FL_ARITH, a ? 0 : FL_ZF);
        v = ctpop64(a);
        break;
    case ZYDIS_MNEMONIC_MOVBE:
        v = bits == 16 ? bswap16(a) : bits == 32 ? bswap32(a) : bswap64(a);
        break;
    case ZYDIS_MNEMONIC_IMUL: {
        __int128 p;

        /* r, r/m: times the destination; r, r/m, imm: times the imm */
        if (insn->operand_count_visible == 3) {
            b = ops[2].imm.value.s;
        } else if (reg_read(e, ops[0].reg.value, &b)) {
            b = sign_extend(b, bits);
        } else {
            return MSHV_EMU_UNSUPPORTED;
        }
        p = (__int128)(int64_t)sign_extend(a, bits) * (int64_t)b;
        v = (uint64_t)p & width_mask(bits);
        set_flags(e, FL_CF | FL_OF,
                  p != (__int128)(int64_t)sign_extend(v, bits) ?
                  FL_CF | FL_OF : 0);
        break;
    }
    default:
        /* CMOVcc: the source is read whatever the condition */
        if (!cond_holds(e->rflags, cc)) {
            /* (a 32-bit destination is zero-extended all the same) */
            if (bits == 32 && reg_read(e, ops[0].reg.value, &v)) {
                reg_write(e, ops[0].reg.value, v);
            }
            return MSHV_EMU_DONE;
        }
        v = a;
        break;
    }
    return status(op_write(e, insn, &ops[0], v & width_mask(bits)));
}

/* The instructions exec_compute() runs. */
static bool is_compute(const ZydisDecodedInstruction *insn)
{
    /* (VEX's AVX-512 mask moves share the 0F 4x and 9x opcodes) */
    if (insn->encoding == ZYDIS_INSTRUCTION_ENCODING_LEGACY &&
        insn->opcode_map == ZYDIS_OPCODE_MAP_0F &&
        ((insn->opcode & 0xf0) == 0x40 || (insn->opcode & 0xf0) == 0x90)) {
        return true;    /* CMOVcc, SETcc */
    }
    switch (insn->mnemonic) {
    case ZYDIS_MNEMONIC_BSF:
    case ZYDIS_MNEMONIC_BSR:
    case ZYDIS_MNEMONIC_POPCNT:
    case ZYDIS_MNEMONIC_MOVBE:
        return true;
    case ZYDIS_MNEMONIC_IMUL:
        /* the forms with an explicit destination, not RDX:RAX */
        return insn->operand_count_visible >= 2;
    default:
        return false;
    }
}

MshvEmuResult mshv_emu_exec(MshvEmu *e, const ZydisDecodedInstruction *insn,
                            const ZydisDecodedOperand *ops)
{
    MshvEmuResult r = MSHV_EMU_UNSUPPORTED;
    bool more = false;
    uint64_t a, b, acc;

    if (insn->attributes & ZYDIS_ATTRIB_HAS_LOCK &&
        insn->mnemonic != ZYDIS_MNEMONIC_XCHG &&
        insn->mnemonic != ZYDIS_MNEMONIC_XADD &&
        insn->mnemonic != ZYDIS_MNEMONIC_CMPXCHG &&
        insn->mnemonic != ZYDIS_MNEMONIC_ADD &&
        insn->mnemonic != ZYDIS_MNEMONIC_ADC &&
        insn->mnemonic != ZYDIS_MNEMONIC_SBB &&
        insn->mnemonic != ZYDIS_MNEMONIC_NEG &&
        insn->mnemonic != ZYDIS_MNEMONIC_NOT &&
        insn->mnemonic != ZYDIS_MNEMONIC_OR &&
        insn->mnemonic != ZYDIS_MNEMONIC_AND &&
        insn->mnemonic != ZYDIS_MNEMONIC_XOR &&
        insn->mnemonic != ZYDIS_MNEMONIC_SUB &&
        insn->mnemonic != ZYDIS_MNEMONIC_INC &&
        insn->mnemonic != ZYDIS_MNEMONIC_DEC &&
        !(insn->mnemonic >= ZYDIS_MNEMONIC_BT &&
          insn->mnemonic <= ZYDIS_MNEMONIC_BTS)) {
        return MSHV_EMU_UNSUPPORTED;
    }

    switch (insn->mnemonic) {
    case ZYDIS_MNEMONIC_MOVZX:
        r = status(op_read(e, insn, &ops[1], &a));
        if (r == MSHV_EMU_DONE) {
            r = status(op_write(e, insn, &ops[0], a));
        }
        break;
    case ZYDIS_MNEMONIC_MOV:
    case ZYDIS_MNEMONIC_MOVNTI:
    case ZYDIS_MNEMONIC_MOVSX:
    case ZYDIS_MNEMONIC_MOVSXD:
        /* (an immediate narrower than its destination is sign-extended) */
        if (insn->operand_count_visible != 2) {
            break;
        }
        r = status(op_read(e, insn, &ops[1], &a));
        if (r == MSHV_EMU_DONE) {
            r = status(op_write(e, insn, &ops[0],
                                sign_extend(a, ops[1].size) &
                                width_mask(ops[0].size)));
        }
        break;
    case ZYDIS_MNEMONIC_ADD: case ZYDIS_MNEMONIC_ADC:
    case ZYDIS_MNEMONIC_SUB: case ZYDIS_MNEMONIC_SBB:
    case ZYDIS_MNEMONIC_CMP: case ZYDIS_MNEMONIC_AND:
    case ZYDIS_MNEMONIC_OR: case ZYDIS_MNEMONIC_XOR:
    case ZYDIS_MNEMONIC_TEST: case ZYDIS_MNEMONIC_INC:
    case ZYDIS_MNEMONIC_DEC: case ZYDIS_MNEMONIC_NEG:
    case ZYDIS_MNEMONIC_NOT:
        r = exec_alu(e, insn, ops);
        break;
    case ZYDIS_MNEMONIC_BT: case ZYDIS_MNEMONIC_BTS:
    case ZYDIS_MNEMONIC_BTR: case ZYDIS_MNEMONIC_BTC:
        r = exec_bt(e, insn, ops);
        break;
    case ZYDIS_MNEMONIC_XCHG:
        r = status(op_read(e, insn, &ops[0], &a));
        if (r == MSHV_EMU_DONE) {
            r = status(op_read(e, insn, &ops[1], &b));
        }
        if (r == MSHV_EMU_DONE) {
            r = status(op_write(e, insn, &ops[0], b));
        }
        if (r == MSHV_EMU_DONE) {
            r = status(op_write(e, insn, &ops[1], a));
        }
        break;
    case ZYDIS_MNEMONIC_XADD:
        r = status(op_read(e, insn, &ops[0], &a));
        if (r == MSHV_EMU_DONE) {
            r = status(op_read(e, insn, &ops[1], &b));
        }
        if (r == MSHV_EMU_DONE) {
            set_flags(e, FL_ARITH, flags_add(a, b, 0, ops[0].size));
            r = status(op_write(e, insn, &ops[0],
                                (a + b) & width_mask(ops[0].size)));
        }
        if (r == MSHV_EMU_DONE) {
            r = status(op_write(e, insn, &ops[1], a));
        }
        break;
    case ZYDIS_MNEMONIC_CMPXCHG:
        r = status(op_read(e, insn, &ops[0], &a));
        if (r == MSHV_EMU_DONE) {
            r = status(op_read(e, insn, &ops[1], &b));
        }
        if (r != MSHV_EMU_DONE) {
            break;
        }
        reg_read(e, accumulator(ops[0].size), &acc);
        set_flags(e, FL_ARITH, flags_sub(acc, a, 0, ops[0].size));
        if (acc == a) {
            r = status(op_write(e, insn, &ops[0], b));
        } else {
            reg_write(e, accumulator(ops[0].size), a);
        }
        break;
    case ZYDIS_MNEMONIC_MOVSB: case ZYDIS_MNEMONIC_MOVSW:
    case ZYDIS_MNEMONIC_MOVSD: case ZYDIS_MNEMONIC_MOVSQ:
    case ZYDIS_MNEMONIC_STOSB: case ZYDIS_MNEMONIC_STOSW:
    case ZYDIS_MNEMONIC_STOSD: case ZYDIS_MNEMONIC_STOSQ:
    case ZYDIS_MNEMONIC_LODSB: case ZYDIS_MNEMONIC_LODSW:
    case ZYDIS_MNEMONIC_LODSD: case ZYDIS_MNEMONIC_LODSQ:
    case ZYDIS_MNEMONIC_CMPSB: case ZYDIS_MNEMONIC_CMPSW:
    case ZYDIS_MNEMONIC_CMPSD: case ZYDIS_MNEMONIC_CMPSQ:
    case ZYDIS_MNEMONIC_SCASB: case ZYDIS_MNEMONIC_SCASW:
    case ZYDIS_MNEMONIC_SCASD: case ZYDIS_MNEMONIC_SCASQ:
        /* MOVSD with an XMM operand is the SSE move, not the string op. */
        if (has_xmm_operand(insn, ops)) {
            r = exec_sse_move(e, insn, ops);
            break;
        }
        r = exec_string(e, insn, ops, &more);
        break;
    case ZYDIS_MNEMONIC_INSB: case ZYDIS_MNEMONIC_INSW:
    case ZYDIS_MNEMONIC_INSD: case ZYDIS_MNEMONIC_OUTSB:
    case ZYDIS_MNEMONIC_OUTSW: case ZYDIS_MNEMONIC_OUTSD:
        if (e->ops->port) {
            r = exec_string(e, insn, ops, &more);
        }
        break;
    case ZYDIS_MNEMONIC_MOVD: case ZYDIS_MNEMONIC_MOVQ:
    case ZYDIS_MNEMONIC_MOVDQA: case ZYDIS_MNEMONIC_MOVDQU:
    case ZYDIS_MNEMONIC_MOVAPS: case ZYDIS_MNEMONIC_MOVUPS:
    case ZYDIS_MNEMONIC_MOVAPD: case ZYDIS_MNEMONIC_MOVUPD:
    case ZYDIS_MNEMONIC_MOVNTDQ: case ZYDIS_MNEMONIC_MOVNTDQA:
    case ZYDIS_MNEMONIC_MOVNTPS: case ZYDIS_MNEMONIC_MOVNTPD:
    case ZYDIS_MNEMONIC_MOVSS:
        r = exec_sse_move(e, insn, ops);
        break;
    default:
        if (is_compute(insn)) {
            r = exec_compute(e, insn, ops);
        }
        break;
    }
    if (r == MSHV_EMU_DONE && !more) {
        e->rip += insn->length;
        if (e->mode != ZYDIS_MACHINE_MODE_LONG_64) {
            e->rip = (uint32_t)e->rip;
        }
    }
    return r;
}
