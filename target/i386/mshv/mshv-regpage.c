/*
 * The register page (struct hv_vp_register_page) both ways: the
 * hypervisor fills it from the VP at an intercept (the simulator's side),
 * and takes back the classes the VMM marked dirty (both sides: the
 * simulator at entry, the accelerator when it reads registers the page
 * holds newer values of).  Through the register table, so a register's
 * conversion is written once.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "cpu.h"
#include "mshv-regs.h"

/*
 * The table entries of the registers the page holds, looked up once: the
 * conversions run at every intercept.
 */
static struct {
    const MshvReg *rflags, *cr8, *pending, *istate, *xmm[6], *seg[6];
} mshv_regpage_regs;

static void mshv_regpage_init(void)
{
    static gsize done;
    int i;

    if (g_once_init_enter(&done)) {
        mshv_regpage_regs.rflags = mshv_reg_find(HV_X64_REGISTER_RFLAGS);
        mshv_regpage_regs.cr8 = mshv_reg_find(HV_X64_REGISTER_CR8);
        mshv_regpage_regs.pending =
            mshv_reg_find(HV_REGISTER_PENDING_INTERRUPTION);
        mshv_regpage_regs.istate = mshv_reg_find(HV_REGISTER_INTERRUPT_STATE);
        for (i = 0; i < 6; i++) {
            mshv_regpage_regs.xmm[i] = mshv_reg_find(HV_X64_REGISTER_XMM0 + i);
            mshv_regpage_regs.seg[i] = mshv_reg_find(HV_X64_REGISTER_ES + i);
        }
        g_once_init_leave(&done, 1);
    }
}

static uint64_t mshv_regpage_get64(const MshvReg *reg, CPUX86State *env)
{
    union hv_register_value v;

    reg->get(reg, env, &v);
    return v.reg64;
}

void mshv_regs_to_page(CPUX86State *env, struct hv_vp_register_page *rp)
{
    union hv_register_value v;
    int i;

    mshv_regpage_init();
    for (i = 0; i < 16; i++) {
        rp->gp_registers[i] = env->regs[i];
    }
    rp->rip = env->eip;
    rp->rflags = mshv_regpage_get64(mshv_regpage_regs.rflags, env);
    for (i = 0; i < 6; i++) {
        mshv_regpage_regs.xmm[i]->get(mshv_regpage_regs.xmm[i], env, &v);
        rp->xmm[i] = v.reg128;
        mshv_regpage_regs.seg[i]->get(mshv_regpage_regs.seg[i], env, &v);
        rp->segment[i] = v.segment;
    }
    rp->cr0 = env->cr[0];
    rp->cr3 = env->cr[3];
    rp->cr4 = env->cr[4];
    rp->cr8 = mshv_regpage_get64(mshv_regpage_regs.cr8, env);
    rp->efer = env->efer;
    rp->dr7 = env->dr[7];
    rp->pending_interruption =
        mshv_regpage_get64(mshv_regpage_regs.pending, env);
    rp->interrupt_state = mshv_regpage_get64(mshv_regpage_regs.istate, env);
    rp->xfem = env->xcr0;
}

void mshv_regs_from_page(const struct hv_vp_register_page *rp,
                         uint32_t dirty, CPUX86State *env)
{
    union hv_register_value v;
    int i;

    mshv_regpage_init();
    if (dirty & (1u << HV_X64_REGISTER_CLASS_GENERAL)) {
        for (i = 0; i < 16; i++) {
            env->regs[i] = rp->gp_registers[i];
        }
    }
    if (dirty & (1u << HV_X64_REGISTER_CLASS_IP)) {
        env->eip = rp->rip;
    }
    if (dirty & (1u << HV_X64_REGISTER_CLASS_FLAGS)) {
        v.reg64 = rp->rflags;
        mshv_regpage_regs.rflags->set(mshv_regpage_regs.rflags, env, &v);
    }
    for (i = 0; i < 6; i++) {
        if (dirty & (1u << HV_X64_REGISTER_CLASS_XMM)) {
            v.reg128 = rp->xmm[i];
            mshv_regpage_regs.xmm[i]->set(mshv_regpage_regs.xmm[i], env, &v);
        }
        if (dirty & (1u << HV_X64_REGISTER_CLASS_SEGMENT)) {
            v.segment = rp->segment[i];
            mshv_regpage_regs.seg[i]->set(mshv_regpage_regs.seg[i], env, &v);
        }
    }
}
