/*
 * MSHV accelerator, x86: a vCPU's run loop
 *
 * MSHV_RUN_VP until QEMU wants the vCPU back, dispatching each message
 * the hypervisor stops the VP with; the PIC interrupt and SINT
 * notifications are requested before each run.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/error-report.h"
#include "qemu/log.h"
#include "qemu/main-loop.h"
#include "system/mshv_int.h"
#include "system/runstate.h"
#include "cpu.h"
#include "hw/i386/apic.h"
#include "hw/intc/ioapic.h"
#include "hw/i386/x86.h"
#include "hw/irq.h"
#include "mshv-x86.h"
#include "trace.h"

/*
 * The 8259 raises CPU_INTERRUPT_HARD.  Its vector is only known when the
 * CPU acknowledges (INTA), which must wait until the guest can take an
 * interrupt -- a vector read early goes stale when the guest reprograms
 * the PIC meanwhile.  So ask the hypervisor to stop the VP once it can
 * (HVMSG_X64_INTERRUPTION_DELIVERABLE), and acknowledge then.  The same
 * register asks to hear when SINT message slots the SynIC backend found
 * full are free (HVMSG_SYNIC_SINT_DELIVERABLE); each request fires once.
 */
static int mshv_update_notifications(CPUState *cpu)
{
    MshvX86CPUState *s = mshv_x86_cpu_state(cpu);
    bool extint = !s->extint_window &&
                  (qatomic_read(&cpu->interrupt_request) & CPU_INTERRUPT_HARD);
    uint16_t sints = qatomic_xchg(&s->sints_wanted, 0) & ~s->sints_notify;
    union hv_register_value v;

    if (!extint && !sints) {
        return 0;
    }
    s->sints_notify |= sints;
    v.reg64 = (extint || s->extint_window ? HV_DELIVERABILITY_INTERRUPT : 0) |
              (uint64_t)s->sints_notify << HV_DELIVERABILITY_SINTS_SHIFT;
    if (mshv_x86_set_reg(cpu, HV_REGISTER_DELIVERABILITY_NOTIFICATIONS, &v,
                         "requesting interrupt and SINT notifications") < 0) {
        return -1;
    }
    s->extint_window |= extint;
    return 0;
}

static void mshv_deliver_extint(CPUState *cpu)
{
    int irq = -1, accept;

    mshv_x86_cpu_state(cpu)->extint_window = false;
    /* the 8259 may have dropped its request since: no LAPIC reads then */
    if (!(qatomic_read(&cpu->interrupt_request) & CPU_INTERRUPT_HARD)) {
        return;
    }
    /*
     * A masked LINT0 leaves the 8259 unacknowledged, as on hardware: a
     * guest that routes everything through the IOAPIC may never program
     * it, and its vectors would be 0-7, exceptions.  The 8259 raises
     * INTR again at its next input.  (Two reads from the hypervisor per
     * 8259 interrupt: only guests without an IOAPIC take many.)
     */
    accept = mshv_x86_lint0_accepts_pic(cpu);
    bql_lock();
    if (cpu->interrupt_request & CPU_INTERRUPT_HARD) {
        cpu_reset_interrupt(cpu, CPU_INTERRUPT_HARD);
        if (accept > 0) {
            irq = cpu_get_pic_interrupt(cpu_env(cpu));
        } else {
            trace_mshv_extint_masked(cpu->cpu_index);
        }
    }
    bql_unlock();
    /* The 8259 was acknowledged: an interrupt lost now would wedge it. */
    if (irq >= 0 &&
        mshv_x86_assert_interrupt(HV_X64_INTERRUPT_TYPE_EXTINT,
                                  cpu->accel->vp_index, false, false,
                                  irq) < 0) {
        qemu_system_vmstop_request(RUN_STATE_INTERNAL_ERROR);
    }
}

/*
 * An x87 error while CR0.NE is clear (MS-DOS compatible reporting): the
 * chipset's FERR# line, ISA IRQ 13.  The guest's handler clears the
 * error (and acknowledges at port 0xf0); the instruction, which the
 * hypervisor stopped before, then runs again.  A pulse: the line is
 * edge-triggered at the 8259 and the IOAPIC, and a second error before
 * the handler ran finds the first still pending.
 */
static void mshv_legacy_fp_error(CPUState *cpu)
{
    X86MachineState *x86ms =
        (X86MachineState *)object_dynamic_cast(qdev_get_machine(),
                                               TYPE_X86_MACHINE);

    trace_mshv_legacy_fp_error(cpu->cpu_index);
    if (x86ms && x86ms->gsi) {
        bql_lock();
        qemu_irq_pulse(x86ms->gsi[13]);
        bql_unlock();
    }
}

/* Something the hypervisor cannot run for this guest: the VM stops. */
static void mshv_unsupported_feature(CPUState *cpu,
                                     const struct hv_message *msg)
{
    const struct hv_unsupported_feature_message *u =
        (const void *)msg->payload;

    error_report("mshv: vCPU %d: the guest used %s, which the hypervisor "
                 "does not support (feature %u, parameter 0x%" PRIx64 "); "
                 "the VM is stopped: run this guest with -accel tcg",
                 cpu->cpu_index,
                 u->feature_code == HV_UNSUPPORTED_FEATURE_TASK_SWITCH_TSS ?
                 "a hardware task switch" : "a processor feature",
                 u->feature_code, u->feature_parameter);
    vm_stop(RUN_STATE_INTERNAL_ERROR);
}

int mshv_arch_vcpu_exec(CPUState *cpu)
{
    struct hv_message msg;
    const char *why;
    unsigned waits = 0;
    int ret = 0;
    int r;

    if (cpu->vcpu_dirty) {
        if (mshv_arch_put_registers(cpu, false) < 0) {
            return EXCP_HLT;
        }
        cpu->vcpu_dirty = false;
    }
    bql_unlock();
    while (!ret) {
        if (qatomic_read(&cpu->exit_request)) {
            ret = EXCP_INTERRUPT;
            break;
        }
        if (mshv_update_notifications(cpu) < 0) {
            ret = EXCP_HLT;
            break;
        }
        r = mshv_vcpu_run(cpu, &msg);
        if (r == -EINTR) {
            ret = EXCP_INTERRUPT;
            break;
        }
        if (r < 0) {
            mshv_fail(cpu, "MSHV_RUN_VP", -r, 0);
            ret = EXCP_HLT;
            break;
        }
        /*
         * A VP waiting for an interrupt (halted, or frozen on an x87 error
         * as with FERR#): a hypervisor that answers every run so costs a
         * millisecond per round, not a spinning thread.  Exit requests
         * are checked before each run.
         */
        if (msg.header.message_type == HVMSG_X64_HALT ||
            msg.header.message_type == HVMSG_X64_LEGACY_FP_ERROR) {
            if (++waits > 1) {
                g_usleep(1000);
            }
        } else {
            waits = 0;
        }
        why = mshv_x86_exit_check(&msg);
        if (why) {
            error_report("mshv: vCPU %d: the hypervisor sent a malformed "
                         "message 0x%x: %s; the VM is stopped: check that the "
                         "kernel's mshv driver matches the hypervisor, and "
                         "report this with the output of -trace 'mshv_*'",
                         cpu->cpu_index, msg.header.message_type, why);
            vm_stop(RUN_STATE_INTERNAL_ERROR);
            ret = EXCP_HLT;
            break;
        }
        switch (msg.header.message_type) {
        case HVMSG_X64_IO_PORT_INTERCEPT:
            if (mshv_x86_handle_io(cpu, &msg) < 0) {
                ret = EXCP_HLT;
            }
            break;
        case HVMSG_UNMAPPED_GPA:
        case HVMSG_GPA_INTERCEPT:
            if (mshv_x86_handle_mmio(cpu, &msg) < 0) {
                ret = EXCP_HLT;
            }
            break;
        case HVMSG_UNRECOVERABLE_EXCEPTION: {
            const struct hv_x64_intercept_message_header *h =
                (const void *)msg.payload;

            /* A triple fault resets the machine, as on hardware. */
            qemu_log_mask(LOG_GUEST_ERROR, "mshv: vCPU %d: triple fault at "
                          "%04x:%016" PRIx64 " (execution state 0x%x, "
                          "RFLAGS 0x%" PRIx64 "); resetting\n",
                          cpu->cpu_index, h->cs_segment.selector, h->rip,
                          h->execution_state, h->rflags);
            qemu_system_reset_request(SHUTDOWN_CAUSE_GUEST_RESET);
            ret = EXCP_INTERRUPT;
            break;
        }
        case HVMSG_X64_INTERRUPTION_DELIVERABLE:
            mshv_deliver_extint(cpu);
            break;
        case HVMSG_SYNIC_SINT_DELIVERABLE:
            mshv_x86_synic_ready(cpu, &msg);
            break;
        case HVMSG_HYPERCALL_INTERCEPT:
            if (mshv_x86_handle_hypercall(cpu, &msg) < 0) {
                ret = EXCP_HLT;
            }
            break;
        case HVMSG_X64_APIC_EOI:
            /*
             * Level-triggered lines see their EOI (IOAPIC remote IRR),
             * under the BQL as the IOAPIC's MMIO handlers are.
             */
            bql_lock();
            ioapic_eoi_broadcast(
                ((const struct hv_x64_apic_eoi_message *)
                 msg.payload)->interrupt_vector);
            bql_unlock();
            break;
        case HVMSG_X64_HALT:
            /*
             * The VP halted with nothing the hypervisor would wake it for
             * (seen of partitions without its LAPIC, which ours always
             * have): as KVM's in-kernel LAPIC, run it again, and the
             * hypervisor resumes it at its next interrupt.
             */
            trace_mshv_halt(cpu->cpu_index, waits);
            break;
        case HVMSG_X64_LEGACY_FP_ERROR:
            mshv_legacy_fp_error(cpu);
            break;
        case HVMSG_UNSUPPORTED_FEATURE:
            mshv_unsupported_feature(cpu, &msg);
            ret = EXCP_HLT;
            break;
        case HVMSG_INVALID_VP_REGISTER_VALUE:
            error_report("mshv: vCPU %d: the hypervisor cannot run the VP "
                         "with the register state QEMU gave it; the VM is "
                         "stopped: 'info registers' shows that state, "
                         "-trace 'mshv_*' how it got there", cpu->cpu_index);
            vm_stop(RUN_STATE_INTERNAL_ERROR);
            ret = EXCP_HLT;
            break;
        default:
            /* intercepts QEMU never installs; future message types */
            error_report("mshv: vCPU %d: the hypervisor stopped the VP with "
                         "message 0x%x, which QEMU does not handle; the VM "
                         "is stopped: report this with the output of "
                         "-trace 'mshv_*'",
                         cpu->cpu_index, msg.header.message_type);
            vm_stop(RUN_STATE_INTERNAL_ERROR);
            ret = EXCP_HLT;
            break;
        }
    }
    bql_lock();
    qatomic_set(&cpu->exit_request, 0);
    return ret;
}
