/*
 * MSHV accelerator: vCPU threads
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <sys/ioctl.h>
#include "qapi/error.h"
#include "qemu/error-report.h"
#include "qemu/guest-random.h"
#include "qemu/main-loop.h"
#include "qemu/rcu.h"
#include "system/accel-ops.h"
#include "system/cpus.h"
#include "system/mshv.h"
#include "system/mshv_int.h"
#include "hw/core/cpu.h"
#include "trace.h"

static void mshv_ipi_signal(int sig)
{
    /* Only there to make MSHV_RUN_VP return -EINTR. */
}

static void mshv_init_cpu_signals(void)
{
    struct sigaction sigact = { .sa_handler = mshv_ipi_signal };
    sigset_t set;

    sigemptyset(&sigact.sa_mask);
    sigaction(SIG_IPI, &sigact, NULL);
    pthread_sigmask(SIG_BLOCK, NULL, &set);
    sigdelset(&set, SIG_IPI);
    pthread_sigmask(SIG_SETMASK, &set, NULL);
}

int mshv_vcpu_run(CPUState *cpu, struct hv_message *msg)
{
    AccelCPUState *s = cpu->accel;
    struct mshv_run_vp run;
    int ret, err;

    /*
     * A kick between this check and the ioctl would be lost (there is no
     * immediate_exit): the kicker sees in_run and the re-kick thread
     * repeats the signal until the run returns.
     */
    qatomic_set(&s->in_run, true);
    /* Pairs with the kicker's: it sees in_run, or we see exit_request. */
    smp_mb();
    if (qatomic_read(&cpu->exit_request)) {
        qatomic_set(&s->in_run, false);
        return -EINTR;
    }
    ret = ioctl(s->vp_fd, MSHV_RUN_VP, &run);
    err = errno;
    qatomic_set(&s->in_run, false);
    if (ret < 0) {
        return -err;
    }
    memcpy(msg, run.msg_buf, sizeof(*msg));
    trace_mshv_run_vp(cpu->cpu_index, msg->header.message_type);
    return 0;
}

/*
 * Re-kicks, from a thread of its own: a kick's signal can land just before
 * the vCPU enters MSHV_RUN_VP and be lost, and whoever kicked may be
 * waiting for that vCPU with the main loop stopped (run_on_cpu from a
 * monitor command), so no main-loop timer could repeat it.
 */
static QemuEvent mshv_rekick_event;

static void *mshv_rekick_thread_fn(void *opaque)
{
    CPUState *cpu;
    bool again;

    rcu_register_thread();
    for (;;) {
        qemu_event_wait(&mshv_rekick_event);
        qemu_event_reset(&mshv_rekick_event);
        do {
            g_usleep(1000);
            again = false;
            WITH_RCU_READ_LOCK_GUARD() {
                CPU_FOREACH(cpu) {
                    if (cpu->accel && qatomic_read(&cpu->exit_request) &&
                        qatomic_read(&cpu->accel->in_run)) {
                        pthread_kill(cpu->thread->thread, SIG_IPI);
                        again = true;
                    }
                }
            }
        } while (again);
    }
    return NULL;
}

static void mshv_start_rekick_thread(void)
{
    static QemuThread thread;
    static bool started;

    if (!started) {
        started = true;
        qemu_event_init(&mshv_rekick_event, false);
        qemu_thread_create(&thread, "mshv-rekick", mshv_rekick_thread_fn,
                           NULL, QEMU_THREAD_DETACHED);
    }
}

static void *mshv_vcpu_thread_fn(void *arg)
{
    CPUState *cpu = arg;
    Error *err = NULL;
    int r;

    rcu_register_thread();
    bql_lock();
    qemu_thread_get_self(cpu->thread);
    cpu->thread_id = qemu_get_thread_id();
    current_cpu = cpu;
    mshv_init_cpu_signals();

    if (mshv_arch_vcpu_init(cpu, &err) < 0) {
        error_reportf_err(err, "mshv: vCPU %d: ", cpu->cpu_index);
        exit(1);
    }
    cpu_thread_signal_created(cpu);
    qemu_guest_random_seed_thread_part2(cpu->random_seed);

    do {
        if (cpu_can_run(cpu)) {
            r = mshv_arch_vcpu_exec(cpu);
            if (r == EXCP_DEBUG) {
                cpu_handle_guest_debug(cpu);
            }
        }
        qemu_wait_io_event(cpu);
    } while (!cpu->unplug || cpu_can_run(cpu));

    mshv_arch_vcpu_destroy(cpu);
    cpu_thread_signal_destroyed(cpu);
    bql_unlock();
    rcu_unregister_thread();
    return NULL;
}

static void mshv_start_vcpu_thread(CPUState *cpu)
{
    char thread_name[VCPU_THREAD_NAME_SIZE];

    mshv_start_rekick_thread();
    snprintf(thread_name, VCPU_THREAD_NAME_SIZE, "CPU %d/MSHV",
             cpu->cpu_index);
    qemu_thread_create(cpu->thread, thread_name, mshv_vcpu_thread_fn,
                       cpu, QEMU_THREAD_JOINABLE);
}

static void mshv_kick_vcpu_thread(CPUState *cpu)
{
    qatomic_set(&cpu->exit_request, 1);
    /* Pairs with mshv_vcpu_run's: see exit_request set before in_run. */
    smp_mb();
    cpus_kick_thread(cpu);
    if (cpu->accel && qatomic_read(&cpu->accel->in_run)) {
        qemu_event_set(&mshv_rekick_event);
    }
}

/* HLT and waiting for INIT/SIPI happen inside the hypervisor. */
static bool mshv_cpu_thread_is_idle(CPUState *cpu)
{
    return false;
}

static void mshv_do_get_registers(CPUState *cpu, run_on_cpu_data arg)
{
    if (mshv_arch_get_registers(cpu) == 0) {
        cpu->vcpu_dirty = true;
    }
}

static void mshv_do_put_registers(CPUState *cpu, run_on_cpu_data arg)
{
    if (mshv_arch_put_registers(cpu, true) == 0) {
        cpu->vcpu_dirty = false;
    }
}

static void mshv_cpu_synchronize_state(CPUState *cpu)
{
    if (!cpu->vcpu_dirty) {
        run_on_cpu(cpu, mshv_do_get_registers, RUN_ON_CPU_NULL);
    }
}

static void mshv_cpu_synchronize_post_reset(CPUState *cpu)
{
    mshv_arch_reset_vcpu(cpu);
    run_on_cpu(cpu, mshv_do_put_registers, RUN_ON_CPU_NULL);
}

static void mshv_cpu_synchronize_post_init(CPUState *cpu)
{
    run_on_cpu(cpu, mshv_do_put_registers, RUN_ON_CPU_NULL);
}

static void mshv_cpu_synchronize_pre_loadvm(CPUState *cpu)
{
    cpu->vcpu_dirty = true;
}

static void mshv_accel_ops_class_init(ObjectClass *oc, void *data)
{
    AccelOpsClass *ops = ACCEL_OPS_CLASS(oc);

    ops->create_vcpu_thread = mshv_start_vcpu_thread;
    ops->kick_vcpu_thread = mshv_kick_vcpu_thread;
    ops->cpu_thread_is_idle = mshv_cpu_thread_is_idle;
    ops->synchronize_post_reset = mshv_cpu_synchronize_post_reset;
    ops->synchronize_post_init = mshv_cpu_synchronize_post_init;
    ops->synchronize_state = mshv_cpu_synchronize_state;
    ops->synchronize_pre_loadvm = mshv_cpu_synchronize_pre_loadvm;
}

static const TypeInfo mshv_accel_ops_type = {
    .name = ACCEL_OPS_NAME("mshv"),
    .parent = TYPE_ACCEL_OPS,
    .class_init = mshv_accel_ops_class_init,
    .abstract = true,
};

static void mshv_accel_ops_register_types(void)
{
    type_register_static(&mshv_accel_ops_type);
}

type_init(mshv_accel_ops_register_types);
