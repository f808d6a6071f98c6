/*
 * MSHV simulator: requests on a VP channel
 *
 * The top layer, beside the hypercall dispatcher: RUN_VP and its
 * cancellation, hypercalls the VMM makes through the VP's fd, and VP state
 * blobs.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/main-loop.h"
#include "vp.h"
#include "trace.h"

/* GET_VP_STATE / SET_VP_STATE: a page each way. */
static void mshv_sim_vp_state_request(MshvSimVp *vp, const MshvSimHeader *req,
                                      const uint8_t *in, uint32_t len)
{
    g_autofree uint8_t *buf = g_malloc0(MSHV_HV_PAGE_SIZE);
    bool set = req->op == MSHV_SIM_OP_SET_VP_STATE;
    uint16_t status;

    len = MIN(len, MSHV_HV_PAGE_SIZE);
    if (set) {
        memcpy(buf, in, len);
    }
    status = mshv_sim_vp_state_io(vp, req->arg[0], set, buf, len);
    mshv_sim_reply(vp->chan, req, 0, status, 0, buf,
                   set || status ? 0 : MSHV_HV_PAGE_SIZE);
}

/* A hypercall on the VP's channel. */
static void mshv_sim_vp_hvcall(MshvSimVp *vp, const MshvSimHeader *req,
                               bool watched)
{
    size_t out_size = MIN(req->arg[2], MSHV_HVCALL_MAX_IO_SIZE);
    bool answer = mshv_sim_vp_answer_hvcall(vp, req, vp->req_in, req->len) &&
                  qatomic_read(&vp->stopped_at);
    unsigned done = 0;
    uint16_t status;

    if (answer) {
        mshv_sim_vp_answered(vp, watched);
    }
    memset(vp->req_out, 0, out_size);
    status = mshv_sim_hvcall(vp->pt, vp, req->arg[0], req->arg[1],
                             vp->req_in, req->len, vp->req_out, out_size,
                             &done);
    mshv_sim_reply(vp->chan, req, 0, status, done, vp->req_out, out_size);
    if (answer) {
        /* the RUN_VP it leads to is the rest of the VMM's answer */
        qatomic_set(&vp->stopped_at, get_clock());
    }
}

/*
 * A hypercall the VMM posted to the VP's watching thread (MshvSimVpShared):
 * claim it, make it, post the result.  False if the driver side took it
 * back first.  With the BQL.
 */
bool mshv_sim_vp_take_posted_call(MshvSimVp *vp)
{
    MshvSimVpShared *sh = vp->shared;
    MshvSimHeader req = { .op = MSHV_SIM_OP_HVCALL };
    uint32_t in_len, out_len;
    unsigned done = 0;

    if (qatomic_cmpxchg(&sh->run_watch, MSHV_SIM_RUN_CALL_POSTED,
                        MSHV_SIM_RUN_CALL_CLAIMED) !=
        MSHV_SIM_RUN_CALL_POSTED) {
        return false;
    }
    /* the driver side wrote these before it posted; it waits now */
    in_len = MIN(sh->call_in_len, sizeof(sh->call_in));
    out_len = MIN(sh->call_out_len, sizeof(sh->call_out));
    memcpy(vp->req_in, sh->call_in, in_len);
    req.arg[0] = sh->call_code;
    req.arg[1] = sh->call_reps;
    req.arg[2] = out_len;
    req.len = in_len;
    trace_mshv_sim_vp_request(vp->index, MSHV_SIM_OP_HVCALL);
    mshv_sim_count(vp->pt, MSHV_SIM_CNT_HVCALL_WATCHED);
    mshv_sim_memory_flush(vp->pt);
    if (mshv_sim_vp_answer_hvcall(vp, &req, vp->req_in, in_len) &&
        qatomic_read(&vp->stopped_at)) {
        mshv_sim_vp_answered(vp, true);
        /* the RUN_VP it leads to is the rest of the VMM's answer */
        qatomic_set(&vp->stopped_at, get_clock());
    }
    memset(vp->req_out, 0, out_len);
    sh->call_status = mshv_sim_hvcall(vp->pt, vp, req.arg[0], req.arg[1],
                                      vp->req_in, in_len, vp->req_out,
                                      out_len, &done);
    sh->call_reps = done;
    memcpy(sh->call_out, vp->req_out, out_len);
    qatomic_store_release(&sh->run_watch, MSHV_SIM_RUN_CALL_DONE);
    return true;
}

/* A RUN_VP the VMM posted to the VP's watching thread (MshvSimVpShared) */
void mshv_sim_vp_take_posted_run(MshvSimVp *vp)
{
    trace_mshv_sim_vp_request(vp->index, MSHV_SIM_OP_RUN_VP);
    mshv_sim_memory_flush(vp->pt);
    mshv_sim_vp_run(vp, true);
}

/*
 * Take one request off the VP's channel and answer it: on the main loop,
 * or (@watched) on the VP's thread watching after a stop.
 */
void mshv_sim_vp_serve(MshvSimVp *vp, bool watched)
{
    MshvSimHeader req;
    int fds[MSHV_SIM_MAX_FDS];
    unsigned nfds = MSHV_SIM_MAX_FDS;
    int n = mshv_sim_recv(vp->chan, &req, vp->req_in, MSHV_SIM_MAX_PAYLOAD,
                          fds, &nfds);

    while (nfds) {
        close(fds[--nfds]);
    }
    if (n == -EAGAIN) {
        /* the VP's own watch took what woke the main loop */
        if (!watched) {
            mshv_sim_count(vp->pt, MSHV_SIM_CNT_MAIN_LOOP_IDLE);
        }
        return;
    }
    if (n <= 0) {
        /* The VP fd was closed; the VP itself lives on (as in Linux). */
        qemu_set_fd_handler(vp->chan, NULL, NULL, NULL);
        return;
    }
    trace_mshv_sim_vp_request(vp->index, req.op);
    mshv_sim_memory_flush(vp->pt);

    switch (req.op) {
    case MSHV_SIM_OP_RUN_VP:
        mshv_sim_vp_run(vp, watched);
        break;
    case MSHV_SIM_OP_CANCEL_RUN:
        mshv_sim_vp_cancel(vp);
        break;
    case MSHV_SIM_OP_HVCALL:
        mshv_sim_vp_hvcall(vp, &req, watched);
        break;
    case MSHV_SIM_OP_GET_VP_STATE:
    case MSHV_SIM_OP_SET_VP_STATE:
        mshv_sim_vp_state_request(vp, &req, vp->req_in, req.len);
        break;
    default:
        mshv_sim_reply(vp->chan, &req, -ENOSYS, 0, 0, NULL, 0);
        break;
    }
}
