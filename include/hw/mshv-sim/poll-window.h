/*
 * MSHV simulator: how long one side watches for the other's answer before
 * it sleeps.
 *
 * Every intercept crosses between the client's vCPU thread and the
 * hypervisor's.  A thread that sleeps for the answer costs a wake-up,
 * and on a host with few cores a wake-up costs more than the exit itself;
 * a thread that watches a little first takes a quick answer at once.
 * Watching is only worth it while answers do come quickly, so each VP
 * keeps a window, adapted the way KVM adapts its halt polling: a wait
 * that a larger window would have covered doubles it, a longer one
 * halves it, down to not watching at all.  A host that is short of cores
 * (several busy guests, more VPs than CPUs) gives long waits, and the
 * windows close; and a watcher yields its CPU between looks, so what it
 * waits for, or anything else runnable there, is not held up by it.
 * Both halves use this, so they adapt alike.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_MSHV_SIM_POLL_WINDOW_H
#define HW_MSHV_SIM_POLL_WINDOW_H

#include <stdbool.h>
#include <stdint.h>

/*
 * KVM's defaults.  A smaller ceiling closed the windows on this kind of
 * host, where a thread that loses its CPU for a moment waits well over
 * 50 us: a tenth of the intercepts then went through the main loop, at
 * ten times the cost.
 */
#define MSHV_SIM_POLL_MAX_NS    200000
#define MSHV_SIM_POLL_START_NS  10000
#define MSHV_SIM_POLL_SPINS     256

/* The next window, after a wait of @waited_ns that @window did not cover */
static inline int64_t mshv_sim_poll_window(int64_t window, int64_t waited_ns)
{
    if (waited_ns <= MSHV_SIM_POLL_MAX_NS) {
        window = window ? window * 2 : MSHV_SIM_POLL_START_NS;
        return window < MSHV_SIM_POLL_MAX_NS ? window : MSHV_SIM_POLL_MAX_NS;
    }
    window /= 2;
    return window < MSHV_SIM_POLL_START_NS ? 0 : window;
}

/*
 * Look at @word for one of the values in @values (a bit for each; or,
 * with a @bell, for it to differ from @rung) a few hundred times before a
 * watcher yields its CPU: on a host with a core for each side, the answer
 * lands in that time, and a sched_yield() (a system call) between looks
 * would delay seeing it by as much as the answer took.
 */
static inline bool mshv_sim_poll_spin(const uint32_t *word, uint32_t values,
                                      const uint32_t *bell, uint32_t rung)
{
    int i;

    for (i = 0; i < MSHV_SIM_POLL_SPINS; i++) {
        if (((1u << (__atomic_load_n(word, __ATOMIC_ACQUIRE) & 31)) &
             values) ||
            (bell && __atomic_load_n(bell, __ATOMIC_ACQUIRE) != rung)) {
            return true;
        }
        __builtin_ia32_pause();
    }
    return false;
}

#endif
