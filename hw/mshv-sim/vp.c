/*
 * MSHV simulator: virtual processors, their creation and lookup
 *
 * A VP is a TCG x86 CPU that runs only while the VMM has a RUN_VP
 * outstanding on the VP channel.  It stops, with its architectural state
 * at the start of the instruction, when it needs the VMM (port I/O, an
 * unmapped GPA, a write to a read-only region, a triple fault); the
 * message goes back as the RUN_VP reply and into the intercept message
 * page, and the register page is refreshed.  HLT and interrupt delivery
 * stay inside: a halted VP sleeps in TCG until its LAPIC wakes it.
 *
 * Threads: VP channel requests are handled in the main loop (and the
 * VMM's answer to a stop -- its RUN_VP, a translation, an interrupt
 * assertion -- on the VP's own thread, which watches for it); everything
 * that writes a VP's CPUX86State runs on that VP's own thread (intercept
 * hooks, run_on_cpu work), so state is always consistent.  The one read
 * elsewhere is a stopped VP's page walk (hvcall.c), under the BQL, while
 * nothing can start the VP.
 *
 * vp.h lists the files a VP is made of.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/error-report.h"
#include "qemu/main-loop.h"
#include "qemu/sockets.h"
#include "hw/qdev-core.h"
#include "vp.h"
#include "trace.h"

MshvSimVp *mshv_sim_vp_find(MshvSimPartition *pt, uint32_t index)
{
    return index < MSHV_MAX_VPS ? pt->vps[index] : NULL;
}

uint32_t mshv_sim_vp_index(MshvSimVp *vp)
{
    return vp->index;
}

CPUState *mshv_sim_vp_cpu(MshvSimVp *vp)
{
    return CPU(vp->cpu);
}

MshvSimPartition *mshv_sim_vp_partition(MshvSimVp *vp)
{
    return vp->pt;
}

bool mshv_sim_vp_stopped(MshvSimVp *vp)
{
    bool stopped;

    qemu_mutex_lock(&vp->lock);
    stopped = !vp->run_pending;
    qemu_mutex_unlock(&vp->lock);
    return stopped;
}

static void mshv_sim_vp_request(void *opaque)
{
    MshvSimVp *vp = opaque;

    vp->serve(vp, false);
}

/*
 * The partition has one TSC: a VP created while others run (a vCPU
 * hot-plugged) reads the same TSC as they do, less their TSC_ADJUST.
 */
static void mshv_sim_vp_join_tsc(MshvSimPartition *pt, MshvSimVp *vp)
{
    unsigned i;

    for (i = 0; i < MSHV_MAX_VPS; i++) {
        MshvSimVp *other = pt->vps[i];

        if (other && other != vp && other->cpu) {
            CPUX86State *env = &other->cpu->env;

            vp->cpu->env.tsc_offset = env->tsc_offset - env->tsc_adjust;
            return;
        }
    }
}

uint16_t mshv_sim_vp_create(MshvSimPartition *pt, uint32_t index, int chan,
                            int state_fd, MshvSimVpServe *serve)
{
    MachineState *ms = MACHINE(pt);
    Error *err = NULL;
    MshvSimVp *vp;
    Object *cpu;
    void *state;
    unsigned i;

    if (index >= MSHV_MAX_VPS) {
        close(chan);
        close(state_fd);
        return HV_STATUS_INVALID_VP_INDEX;
    }
    if (pt->vps[index]) {
        close(chan);
        close(state_fd);
        return HV_STATUS_INVALID_PARAMETER;
    }
    state = mmap(NULL, MSHV_SIM_STATE_SIZE, PROT_READ | PROT_WRITE,
                 MAP_SHARED, state_fd, 0);
    close(state_fd);
    if (state == MAP_FAILED) {
        error_report("mshv-sim: VP %u: cannot map its state pages: %s",
                     index, strerror(errno));
        close(chan);
        return HV_STATUS_INSUFFICIENT_MEMORY;
    }

    vp = g_new0(MshvSimVp, 1);
    vp->pt = pt;
    vp->serve = serve;
    vp->index = index;
    vp->chan = chan;
    vp->state = state;
    vp->regpage = state;
    vp->msgpage = (void *)((char *)state + MSHV_HV_PAGE_SIZE);
    vp->shared = (void *)((char *)state +
                          MSHV_SIM_VP_SHARED_PAGE * MSHV_HV_PAGE_SIZE);
    vp->extint = -1;
    vp->req_in = g_malloc(MSHV_SIM_MAX_PAYLOAD);
    vp->req_out = g_malloc(MSHV_HVCALL_MAX_IO_SIZE);
    qemu_mutex_init(&vp->results_lock);
    vp->cpuid = g_array_new(false, true, sizeof(MshvSimCpuid));
    vp->msr_results = g_array_new(false, true, sizeof(MshvSimMsrResult));
    vp->extra = mshv_sim_extra_regs_new();
    qemu_mutex_init(&vp->lock);
    pt->vps[index] = vp;

    cpu = object_new(ms->cpu_type);
    CPU(cpu)->opaque = vp;
    /* APIC ID = VP index, as the hypervisor defines it. */
    object_property_set_uint(cpu, "apic-id", index, &error_abort);
    mshv_sim_cpu_fit_host(cpu);
    /* Created stopped (explicit suspend): the first RUN_VP releases it. */
    DEVICE(cpu)->hotplugged = false;
    if (!qdev_realize(DEVICE(cpu), NULL, &err)) {
        error_report_err(err);
        object_unref(cpu);
        pt->vps[index] = NULL;
        munmap(state, MSHV_SIM_STATE_SIZE);
        close(chan);
        g_free(vp->req_in);
        g_free(vp->req_out);
        g_free(vp);
        return HV_STATUS_INSUFFICIENT_MEMORY;
    }
    vp->cpu = X86_CPU(cpu);
    object_unref(cpu);
    cpu_reset(CPU(cpu));
    mshv_sim_vp_join_tsc(pt, vp);
    /* the SynIC's interrupts start masked */
    for (i = 0; i < HV_SYNIC_SINT_COUNT; i++) {
        vp->cpu->env.msr_hv_synic_sint[i] = HV_SINT_MASKED;
    }

    qemu_socket_set_nonblock(chan);
    qemu_set_fd_handler(chan, mshv_sim_vp_request, NULL, vp);
    trace_mshv_sim_vp_create(index);
    return HV_STATUS_SUCCESS;
}
