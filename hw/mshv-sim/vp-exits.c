/*
 * MSHV simulator: intercept messages
 *
 * The TCG hooks (target/i386/tcg/hv-hooks.h) report guest events -- port
 * I/O, failed memory transactions, triple faults, exceptions -- that the
 * VMM must handle: each becomes the hv_message the hypervisor would send,
 * with the instruction bytes and registers the VMM needs, and stops the VP.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "exec/exec-all.h"
#include "tcg/hv-hooks.h"
#include "mshv/mshv-decode.h"
#include "vp.h"
#include "trace.h"

/* Registers the messages carry in the hypervisor's format, looked up once */
static const MshvReg *mshv_sim_rp_rflags, *mshv_sim_rp_cr8,
                     *mshv_sim_rp_seg[6];

static uint64_t mshv_sim_reg64(const MshvReg *reg, CPUX86State *env)
{
    union hv_register_value v;

    reg->get(reg, env, &v);
    return v.reg64;
}

/* Up to 16 bytes at CS:RIP, as far as they can be read. */
static unsigned mshv_sim_fetch_insn(CPUState *cs, uint8_t *buf)
{
    CPUX86State *env = cpu_env(cs);
    vaddr pc = env->segs[R_CS].base + env->eip;
    unsigned n = 16, first = TARGET_PAGE_SIZE - (pc & ~TARGET_PAGE_MASK);

    memset(buf, 0, 16);
    if (first < n) {
        if (cpu_memory_rw_debug(cs, pc, buf, first, false) < 0) {
            return 0;
        }
        if (cpu_memory_rw_debug(cs, pc + first, buf + first, n - first,
                                false) < 0) {
            return first;
        }
        return n;
    }
    return cpu_memory_rw_debug(cs, pc, buf, n, false) < 0 ? 0 : n;
}

/*
 * The instruction bytes an intercept message carries: at most as many as
 * the simulated hypervisor gives (-machine insn-bytes; a real one may give
 * none, leaving the VMM to fetch them).
 */
static unsigned mshv_sim_message_insn(CPUState *cs, const uint8_t *bytes,
                                      unsigned len, uint8_t *dst)
{
    len = MIN(len, mshv_sim_cpu_vp(cs)->pt->insn_bytes);
    memcpy(dst, bytes, len);
    memset(dst + len, 0, 16 - len);
    return len;
}

static bool mshv_sim_decode(CPUX86State *env, const uint8_t *buf,
                            unsigned len, ZydisDecodedInstruction *insn)
{
    ZydisDecoder dec;
    ZydisStackWidth width;
    ZydisMachineMode mode =
        mshv_x86_machine_mode(env->hflags & HF_LMA_MASK,
                              env->cr[0] & CR0_PE_MASK,
                              env->hflags & HF_CS64_MASK,
                              env->hflags & HF_CS32_MASK, &width);

    return ZYAN_SUCCESS(ZydisDecoderInit(&dec, mode, width)) &&
           ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(&dec, NULL, buf, len,
                                                      insn));
}

/* The length of the instruction at CS:RIP, or 0 if it cannot be read. */
static unsigned mshv_sim_insn_length(CPUState *cs)
{
    ZydisDecodedInstruction insn;
    uint8_t buf[16];
    unsigned len = mshv_sim_fetch_insn(cs, buf);

    return len && mshv_sim_decode(cpu_env(cs), buf, len, &insn) ?
           insn.length : 0;
}

/* Whether delivering hardware exception @vector pushes an error code. */
static bool mshv_sim_exception_has_error_code(int vector)
{
    switch (vector) {
    case EXCP08_DBLE:
    case EXCP0A_TSS:
    case EXCP0B_NOSEG:
    case EXCP0C_STACK:
    case EXCP0D_GPF:
    case EXCP0E_PAGE:
    case EXCP11_ALGN:
    case 21:                    /* #CP */
        return true;
    default:
        return false;
    }
}

/*
 * The message's header and, at the start of its payload, the intercept
 * header every intercept message begins with.
 */
void mshv_sim_fill_header(CPUState *cs, struct hv_message *msg,
                          uint32_t type, size_t payload_size,
                          unsigned insn_len, unsigned access)
{
    struct hv_x64_intercept_message_header *h = (void *)msg->payload;
    CPUX86State *env = cpu_env(cs);
    X86CPU *cpu = X86_CPU(cs);
    union hv_register_value v;
    uint16_t state = env->hflags & HF_CPL_MASK;

    msg->header.message_type = type;
    msg->header.payload_size = payload_size;
    if (env->cr[0] & CR0_PE_MASK) {
        state |= HV_X64_EXEC_STATE_CR0_PE;
    }
    if (env->cr[0] & CR0_AM_MASK) {
        state |= HV_X64_EXEC_STATE_CR0_AM;
    }
    if (env->hflags & HF_LMA_MASK) {
        state |= HV_X64_EXEC_STATE_EFER_LMA;
    }
    if (env->hflags & HF_INHIBIT_IRQ_MASK) {
        state |= HV_X64_EXEC_STATE_INTERRUPT_SHADOW;
    }
    h->vp_index = cpu->apic_id;
    h->instruction_length_and_cr8 = (insn_len & 0xf) |
        (mshv_sim_reg64(mshv_sim_rp_cr8, env) & 0xf) << 4;
    h->intercept_access_type = access;
    h->execution_state = state;
    mshv_sim_rp_seg[R_CS]->get(mshv_sim_rp_seg[R_CS], env, &v);
    h->cs_segment = v.segment;
    h->rip = env->eip;
    h->rflags = mshv_sim_reg64(mshv_sim_rp_rflags, env);
}

/*
 * A hypercall for the VMM: HVMSG_HYPERCALL_INTERCEPT at the trap (its
 * length completes the call, as a VMCALL's would), the calling
 * convention's registers in the message.
 */
static G_NORETURN void mshv_sim_vp_hypercall_intercept(MshvSimVp *vp)
{
    CPUState *cs = CPU(vp->cpu);
    CPUX86State *env = cpu_env(cs);
    struct hv_message msg = { 0 };
    struct hv_x64_hypercall_intercept_message *hc = (void *)msg.payload;
    unsigned i;

    mshv_sim_fill_header(cs, &msg, HVMSG_HYPERCALL_INTERCEPT, sizeof(*hc),
                         MSHV_SIM_HYPERCALL_INSN_LEN,
                         HV_INTERCEPT_ACCESS_EXECUTE);
    hc->rax = env->regs[R_EAX];
    hc->rbx = env->regs[R_EBX];
    hc->rcx = env->regs[R_ECX];
    hc->rdx = env->regs[R_EDX];
    hc->r8 = env->regs[8];
    hc->rsi = env->regs[R_ESI];
    hc->rdi = env->regs[R_EDI];
    for (i = 0; i < ARRAY_SIZE(hc->xmmregisters); i++) {
        hc->xmmregisters[i].low_part = env->xmm_regs[i].ZMM_Q(0);
        hc->xmmregisters[i].high_part = env->xmm_regs[i].ZMM_Q(1);
    }
    mshv_sim_vp_stop(vp, &msg, MSHV_SIM_CNT_INTERCEPT_OTHER);
}

static void mshv_sim_hook_io(CPUX86State *env, uint32_t port, unsigned size,
                             bool is_write, uint32_t data, uintptr_t retaddr)
{
    CPUState *cs = env_cpu(env);
    MshvSimVp *vp = mshv_sim_cpu_vp(cs);
    struct hv_message msg = { 0 };
    struct hv_x64_io_port_intercept_message *io = (void *)msg.payload;
    ZydisDecodedInstruction insn;
    union hv_register_value v;
    unsigned len, insn_len = 0;
    bool string = false, rep = false;
    uint8_t bytes[16];

    cpu_restore_state(cs, retaddr);
    if (!is_write && mshv_sim_hv_is_hypercall(cs)) {
        /* a call through the hypercall page */
        if (!mshv_sim_hv_hypercall(cs)) {
            mshv_sim_vp_hypercall_intercept(vp);
        }
        cpu_loop_exit(cs);
    }
    len = mshv_sim_fetch_insn(cs, bytes);
    if (len && mshv_sim_decode(env, bytes, len, &insn)) {
        insn_len = insn.length;
        string = insn.mnemonic == ZYDIS_MNEMONIC_INSB ||
                 insn.mnemonic == ZYDIS_MNEMONIC_INSW ||
                 insn.mnemonic == ZYDIS_MNEMONIC_INSD ||
                 insn.mnemonic == ZYDIS_MNEMONIC_OUTSB ||
                 insn.mnemonic == ZYDIS_MNEMONIC_OUTSW ||
                 insn.mnemonic == ZYDIS_MNEMONIC_OUTSD;
        rep = string && (insn.attributes & ZYDIS_ATTRIB_HAS_REP);
    }

    mshv_sim_fill_header(cs, &msg, HVMSG_X64_IO_PORT_INTERCEPT, sizeof(*io),
                         insn_len,
                         is_write ? HV_INTERCEPT_ACCESS_WRITE :
                                    HV_INTERCEPT_ACCESS_READ);
    io->port_number = port;
    io->access_info = size | (string ? HV_X64_IO_ACCESS_STRING_OP : 0) |
                      (rep ? HV_X64_IO_ACCESS_REP_PREFIX : 0);
    io->instruction_byte_count = mshv_sim_message_insn(cs, bytes, len,
                                                       io->instruction_bytes);
    io->rax = env->regs[R_EAX];
    mshv_sim_rp_seg[R_DS]->get(mshv_sim_rp_seg[R_DS], env, &v);
    io->ds_segment = v.segment;
    mshv_sim_rp_seg[R_ES]->get(mshv_sim_rp_seg[R_ES], env, &v);
    io->es_segment = v.segment;
    io->rcx = env->regs[R_ECX];
    io->rsi = env->regs[R_ESI];
    io->rdi = env->regs[R_EDI];

    mshv_sim_vp_stop(vp, &msg, string ? MSHV_SIM_CNT_INTERCEPT_IO_STRING :
                                        MSHV_SIM_CNT_INTERCEPT_IO);
}

static void mshv_sim_hook_transaction_failed(CPUState *cs, hwaddr physaddr,
                                             vaddr addr, unsigned size,
                                             MMUAccessType access_type,
                                             int mmu_idx, MemTxAttrs attrs,
                                             MemTxResult response,
                                             uintptr_t retaddr)
{
    /* the walk's read of a paging entry: the GPA is not the GVA's */
    bool walk = mmu_idx == MMU_PHYS_IDX;
    CPUX86State *env = cpu_env(cs);
    MshvSimVp *vp = mshv_sim_cpu_vp(cs);
    struct hv_message msg = { 0 };
    struct hv_x64_memory_intercept_message *mem = (void *)msg.payload;
    ZydisDecodedInstruction insn;
    bool mapped = mshv_sim_region_find(vp->pt, physaddr) != NULL;
    unsigned len, insn_len = 0;
    uint8_t bytes[16];

    if (retaddr) {
        cpu_restore_state(cs, retaddr);
    }
    len = mshv_sim_fetch_insn(cs, bytes);
    if (len && mshv_sim_decode(env, bytes, len, &insn)) {
        insn_len = insn.length;
    }
    len = mshv_sim_message_insn(cs, bytes, len, mem->instruction_bytes);

    mshv_sim_fill_header(cs, &msg,
                         mapped ? HVMSG_GPA_INTERCEPT : HVMSG_UNMAPPED_GPA,
                         sizeof(*mem), insn_len,
                         access_type == MMU_DATA_STORE ?
                            HV_INTERCEPT_ACCESS_WRITE :
                         access_type == MMU_INST_FETCH ?
                            HV_INTERCEPT_ACCESS_EXECUTE :
                            HV_INTERCEPT_ACCESS_READ);
    mem->cache_type = 0;        /* uncached, as emulated MMIO is */
    mem->instruction_byte_count = len;
    mem->memory_access_info = walk ? 0 :
                              HV_X64_MEMORY_ACCESS_GVA_VALID |
                              HV_X64_MEMORY_ACCESS_GVA_GPA_VALID;
    mem->guest_virtual_address = walk ? 0 : addr;
    mem->guest_physical_address = physaddr;

    mshv_sim_vp_stop(vp, &msg, mapped ? MSHV_SIM_CNT_INTERCEPT_GPA :
                                        MSHV_SIM_CNT_INTERCEPT_UNMAPPED_GPA);
}

static void mshv_sim_hook_triple_fault(CPUX86State *env)
{
    CPUState *cs = env_cpu(env);
    MshvSimVp *vp = mshv_sim_cpu_vp(cs);
    struct hv_message msg = { 0 };

    /* The VMM resets the VP: no double fault is in progress any more. */
    env->old_exception = -1;
    mshv_sim_fill_header(cs, &msg, HVMSG_UNRECOVERABLE_EXCEPTION,
                         sizeof(struct hv_x64_intercept_message_header), 0,
                         HV_INTERCEPT_ACCESS_READ);
    vp->shutdown = true;
    mshv_sim_count(vp->pt, MSHV_SIM_CNT_INTERCEPT_OTHER);
    mshv_sim_vp_exit(vp, &msg);
}

/*
 * An x87 error with CR0.NE clear, at the waiting instruction that finds
 * it (MS-DOS compatible reporting): the processor would assert FERR#
 * and wait for the chipset's interrupt.  The hypervisor has no chipset:
 * HVMSG_X64_LEGACY_FP_ERROR, the VP stopped before the instruction; the
 * VMM raises ISA IRQ 13, and the guest's handler clears the error before
 * the instruction runs again.
 */
static void mshv_sim_hook_legacy_fp_error(CPUX86State *env,
                                          uintptr_t retaddr)
{
    CPUState *cs = env_cpu(env);
    struct hv_message msg = { 0 };

    cpu_restore_state(cs, retaddr);
    mshv_sim_fill_header(cs, &msg, HVMSG_X64_LEGACY_FP_ERROR,
                         sizeof(struct hv_x64_intercept_message_header),
                         mshv_sim_insn_length(cs),
                         HV_INTERCEPT_ACCESS_EXECUTE);
    mshv_sim_vp_stop(mshv_sim_cpu_vp(cs), &msg,
                     MSHV_SIM_CNT_INTERCEPT_OTHER);
}

/*
 * An intercepted CPUID: HVMSG_X64_CPUID_INTERCEPT with what the VP would
 * have seen; the VMM sets RAX, RBX, RCX, RDX and steps past.
 */
G_NORETURN void mshv_sim_vp_cpuid_intercept(MshvSimVp *vp,
                                            const uint32_t regs[4],
                                            uintptr_t retaddr)
{
    CPUState *cs = CPU(vp->cpu);
    CPUX86State *env = cpu_env(cs);
    struct hv_message msg = { 0 };
    struct hv_x64_cpuid_intercept_message *ci = (void *)msg.payload;

    cpu_restore_state(cs, retaddr);
    mshv_sim_fill_header(cs, &msg, HVMSG_X64_CPUID_INTERCEPT, sizeof(*ci),
                         mshv_sim_insn_length(cs),
                         HV_INTERCEPT_ACCESS_EXECUTE);
    ci->rax = env->regs[R_EAX];
    ci->rcx = env->regs[R_ECX];
    ci->rdx = env->regs[R_EDX];
    ci->rbx = env->regs[R_EBX];
    ci->default_result_rax = regs[0];
    ci->default_result_rbx = regs[1];
    ci->default_result_rcx = regs[2];
    ci->default_result_rdx = regs[3];
    mshv_sim_vp_stop(vp, &msg, MSHV_SIM_CNT_INTERCEPT_OTHER);
}

/*
 * An intercepted RDMSR/WRMSR: HVMSG_X64_MSR_INTERCEPT; the VMM sets
 * RDX:RAX for a read, or injects #GP, and steps past.
 */
G_NORETURN void mshv_sim_vp_msr_intercept(MshvSimVp *vp,
                                          uint32_t index,
                                          bool is_write,
                                          uintptr_t retaddr)
{
    CPUState *cs = CPU(vp->cpu);
    CPUX86State *env = cpu_env(cs);
    struct hv_message msg = { 0 };
    struct hv_x64_msr_intercept_message *mi = (void *)msg.payload;

    cpu_restore_state(cs, retaddr);
    mshv_sim_fill_header(cs, &msg, HVMSG_X64_MSR_INTERCEPT, sizeof(*mi),
                         mshv_sim_insn_length(cs),
                         is_write ? HV_INTERCEPT_ACCESS_WRITE :
                                    HV_INTERCEPT_ACCESS_READ);
    mi->msr_number = index;
    mi->rdx = env->regs[R_EDX];
    mi->rax = env->regs[R_EAX];
    mshv_sim_vp_stop(vp, &msg, MSHV_SIM_CNT_INTERCEPT_OTHER);
}

/*
 * An exception the VMM intercepts, about to be delivered: it stays
 * undelivered, the VP stops at the faulting instruction (after it, for a
 * trap) with HVMSG_X64_EXCEPTION_INTERCEPT.  The VMM may inject it back
 * (a pending event), which is then delivered without a second intercept.
 */
static void mshv_sim_hook_exception(CPUX86State *env, int vector,
                                    bool is_int, int error_code,
                                    target_ulong next_eip)
{
    CPUState *cs = env_cpu(env);
    MshvSimVp *vp = mshv_sim_cpu_vp(cs);
    struct hv_message msg = { 0 };
    struct hv_x64_exception_intercept_message *ex = (void *)msg.payload;
    bool software = is_int && (vector == EXCP03_INT3 || vector == EXCP04_INTO);
    union hv_register_value v;
    unsigned len;
    uint8_t bytes[16];

    if (!vp || qatomic_xchg(&vp->injecting, false) ||
        (is_int && !software) ||
        !mshv_sim_intercepted(vp->pt, HV_INTERCEPT_TYPE_EXCEPTION, vector,
                              0)) {
        return;
    }
    env->old_exception = -1;
    len = mshv_sim_fetch_insn(cs, bytes);
    len = mshv_sim_message_insn(cs, bytes, len, ex->instruction_bytes);
    mshv_sim_fill_header(cs, &msg, HVMSG_X64_EXCEPTION_INTERCEPT, sizeof(*ex),
                         software ? next_eip - env->eip :
                                    mshv_sim_insn_length(cs),
                         HV_INTERCEPT_ACCESS_EXECUTE);
    ex->exception_vector = vector;
    if (!is_int && mshv_sim_exception_has_error_code(vector)) {
        ex->exception_info |= HV_X64_EXCEPTION_INFO_ERROR_CODE_VALID;
        ex->error_code = error_code;
    }
    if (software) {
        ex->exception_info |= HV_X64_EXCEPTION_INFO_SOFTWARE;
    }
    ex->instruction_byte_count = len;
    ex->exception_parameter = vector == EXCP0E_PAGE ? env->cr[2] :
                              vector == EXCP01_DB ? env->dr[6] : 0;
    mshv_sim_rp_seg[R_DS]->get(mshv_sim_rp_seg[R_DS], env, &v);
    ex->ds_segment = v.segment;
    mshv_sim_rp_seg[R_SS]->get(mshv_sim_rp_seg[R_SS], env, &v);
    ex->ss_segment = v.segment;
    ex->rax = env->regs[R_EAX];
    ex->rcx = env->regs[R_ECX];
    ex->rdx = env->regs[R_EDX];
    ex->rbx = env->regs[R_EBX];
    ex->rsp = env->regs[R_ESP];
    ex->rbp = env->regs[R_EBP];
    ex->rsi = env->regs[R_ESI];
    ex->rdi = env->regs[R_EDI];
#ifdef TARGET_X86_64
    ex->r8 = env->regs[8];
    ex->r9 = env->regs[9];
    ex->r10 = env->regs[10];
    ex->r11 = env->regs[11];
    ex->r12 = env->regs[12];
    ex->r13 = env->regs[13];
    ex->r14 = env->regs[14];
    ex->r15 = env->regs[15];
#endif
    mshv_sim_vp_stop(vp, &msg, MSHV_SIM_CNT_INTERCEPT_OTHER);
}

/*
 * A processor's TSC runs on through INIT; the VP keeps its TSC as an
 * offset from the partition's ticks, in a field QEMU's INIT clears.
 */
static void mshv_sim_hook_init(CPUX86State *env, const CPUX86State *before)
{
    env->tsc_offset = before->tsc_offset;
}

/* The simulated host's TSC, from this machine's (TCG's). */
static uint64_t mshv_sim_hook_tsc(uint64_t ticks)
{
    return mshv_sim_tsc_scale(ticks);
}

static const X86TcgHvHooks mshv_sim_hooks = {
    .msr = mshv_sim_hook_msr,
    .msr_unimplemented = mshv_sim_hook_msr_unimplemented,
    .exception = mshv_sim_hook_exception,
    .level_eoi = mshv_sim_hook_level_eoi,
    .io = mshv_sim_hook_io,
    .transaction_failed = mshv_sim_hook_transaction_failed,
    .triple_fault = mshv_sim_hook_triple_fault,
    .legacy_fp_error = mshv_sim_hook_legacy_fp_error,
    .pic_interrupt = mshv_sim_hook_pic_interrupt,
    .pic_pending = mshv_sim_hook_pic_pending,
    .apic_interrupt = mshv_sim_hook_apic_interrupt,
    .cpuid = mshv_sim_hook_cpuid,
    .init = mshv_sim_hook_init,
    .tsc = mshv_sim_hook_tsc,
};

void mshv_sim_vp_install_hooks(void)
{
    int i;

    mshv_sim_rp_rflags = mshv_reg_find(HV_X64_REGISTER_RFLAGS);
    mshv_sim_rp_cr8 = mshv_reg_find(HV_X64_REGISTER_CR8);
    for (i = 0; i < 6; i++) {
        mshv_sim_rp_seg[i] = mshv_reg_find(HV_X64_REGISTER_ES + i);
    }
    x86_tcg_hv_hooks = &mshv_sim_hooks;
}
