/*
 * The /dev/mshv user ABI (Linux mshv_root driver) and the Microsoft
 * Hypervisor structures that travel through it.
 *
 * Written for qemu-mshv from the published facts (Linux uapi numbers and
 * layouts, the Hyper-V TLFS).  Both the MSHV accelerator and the MSHV
 * simulator use this header; tests/mshv/mshv-abi-test.c checks it against
 * the kernel's <linux/mshv.h> where one is installed.
 *
 * Names follow the kernel's (mshv_*, MSHV_*) and the hypervisor's (hv_*,
 * HV_*, HVMSG_*, HVCALL_*) so the code reads against the documentation.
 * All structures are little-endian; x86-64 only.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_HYPERV_MSHV_ABI_H
#define HW_HYPERV_MSHV_ABI_H

#include <stddef.h>
#include <stdint.h>
#include <linux/ioctl.h>

/*
 * Self-contained (no qemu/osdep.h) so the simulator's preload library,
 * which lives in processes that are not QEMU, can use it too.
 */
#define MSHV_ABI_PACKED __attribute__((packed))

/* ---- /dev/mshv ioctls ------------------------------------------------ */

#define MSHV_IOCTL                      0xB8

/* On /dev/mshv */
#define MSHV_CREATE_PARTITION \
    _IOW(MSHV_IOCTL, 0x00, struct mshv_create_partition)
/* On /dev/mshv (>= 6.19), partition and VP fds */
#define MSHV_ROOT_HVCALL        _IOWR(MSHV_IOCTL, 0x07, struct mshv_root_hvcall)

/* On a partition fd */
#define MSHV_INITIALIZE_PARTITION       _IO(MSHV_IOCTL, 0x00)
#define MSHV_CREATE_VP          _IOW(MSHV_IOCTL, 0x01, struct mshv_create_vp)
#define MSHV_SET_GUEST_MEMORY \
    _IOW(MSHV_IOCTL, 0x02, struct mshv_user_mem_region)
#define MSHV_IRQFD              _IOW(MSHV_IOCTL, 0x03, struct mshv_user_irqfd)
#define MSHV_IOEVENTFD \
    _IOW(MSHV_IOCTL, 0x04, struct mshv_user_ioeventfd)
#define MSHV_SET_MSI_ROUTING \
    _IOW(MSHV_IOCTL, 0x05, struct mshv_user_irq_table)
#define MSHV_GET_GPAP_ACCESS_BITMAP \
    _IOWR(MSHV_IOCTL, 0x06, struct mshv_gpap_access_bitmap)

/* On a VP fd */
#define MSHV_RUN_VP             _IOR(MSHV_IOCTL, 0x00, struct mshv_run_vp)
#define MSHV_GET_VP_STATE \
    _IOWR(MSHV_IOCTL, 0x01, struct mshv_get_set_vp_state)
#define MSHV_SET_VP_STATE \
    _IOWR(MSHV_IOCTL, 0x02, struct mshv_get_set_vp_state)

/* ---- Partition creation ---------------------------------------------- */

enum {
    MSHV_PT_BIT_LAPIC,
    MSHV_PT_BIT_X2APIC,
    MSHV_PT_BIT_GPA_SUPER_PAGES,
    MSHV_PT_BIT_CPU_AND_XSAVE_FEATURES,
    MSHV_PT_BIT_NESTED_VIRTUALIZATION,
    MSHV_PT_BIT_SMT_ENABLED_GUEST,
    MSHV_PT_BIT_COUNT,
};
#define MSHV_PT_FLAGS_MASK              ((1ULL << MSHV_PT_BIT_COUNT) - 1)

enum {
    MSHV_PT_ISOLATION_NONE,
    MSHV_PT_ISOLATION_COUNT,
};

#define MSHV_NUM_CPU_FEATURES_BANKS     2
#define MSHV_MAX_VPS                    256
#define MSHV_MAX_GUEST_IRQS             4096
#define MSHV_HV_PAGE_SIZE               0x1000

struct mshv_create_partition {
    uint64_t pt_flags;
    uint64_t pt_isolation;
};

/* Selected by MSHV_PT_BIT_CPU_AND_XSAVE_FEATURES in pt_flags. */
struct mshv_create_partition_v2 {
    uint64_t pt_flags;
    uint64_t pt_isolation;
    uint16_t pt_num_cpu_fbanks;
    uint8_t pt_rsvd[6];
    /* Processor features to disable, 1 bit per feature. */
    uint64_t pt_cpu_fbanks[MSHV_NUM_CPU_FEATURES_BANKS];
    uint64_t pt_rsvd1[2];
    uint64_t pt_disabled_xsave;
} MSHV_ABI_PACKED;

struct mshv_create_vp {
    uint32_t vp_index;
};

/* ---- Guest memory ---------------------------------------------------- */

enum {
    MSHV_SET_MEM_BIT_WRITABLE,
    MSHV_SET_MEM_BIT_EXECUTABLE,
    MSHV_SET_MEM_BIT_UNMAP,
    MSHV_SET_MEM_BIT_COUNT,
};
#define MSHV_SET_MEM_FLAGS_MASK         ((1 << MSHV_SET_MEM_BIT_COUNT) - 1)

struct mshv_user_mem_region {
    uint64_t size;              /* bytes */
    uint64_t guest_pfn;         /* 4 KiB frames */
    uint64_t userspace_addr;
    uint8_t flags;              /* MSHV_SET_MEM_BIT_* */
    uint8_t rsvd[7];
};

enum {
    MSHV_GPAP_ACCESS_TYPE_ACCESSED,
    MSHV_GPAP_ACCESS_TYPE_DIRTY,
    MSHV_GPAP_ACCESS_TYPE_COUNT,
};

enum {
    MSHV_GPAP_ACCESS_OP_NOOP,
    MSHV_GPAP_ACCESS_OP_CLEAR,
    MSHV_GPAP_ACCESS_OP_SET,
    MSHV_GPAP_ACCESS_OP_COUNT,
};

struct mshv_gpap_access_bitmap {
    uint8_t access_type;
    uint8_t access_op;
    uint8_t rsvd[6];
    uint64_t page_count;
    uint64_t gpap_base;         /* first guest frame */
    uint64_t bitmap_ptr;        /* ceil(page_count / 8) bytes, LSB first */
};

/* ---- Interrupts and eventfds ----------------------------------------- */

enum {
    MSHV_IRQFD_BIT_DEASSIGN,
    MSHV_IRQFD_BIT_RESAMPLE,
    MSHV_IRQFD_BIT_COUNT,
};
#define MSHV_IRQFD_FLAGS_MASK           ((1 << MSHV_IRQFD_BIT_COUNT) - 1)

struct mshv_user_irqfd {
    int32_t fd;
    int32_t resamplefd;
    uint32_t gsi;
    uint32_t flags;
};

enum {
    MSHV_IOEVENTFD_BIT_DATAMATCH,
    MSHV_IOEVENTFD_BIT_PIO,
    MSHV_IOEVENTFD_BIT_DEASSIGN,
    MSHV_IOEVENTFD_BIT_COUNT,
};
#define MSHV_IOEVENTFD_FLAGS_MASK       ((1 << MSHV_IOEVENTFD_BIT_COUNT) - 1)

struct mshv_user_ioeventfd {
    uint64_t datamatch;
    uint64_t addr;
    uint32_t len;               /* 0 (any), 1, 2, 4 or 8 */
    int32_t fd;
    uint32_t flags;
    uint8_t rsvd[4];
};

struct mshv_user_irq_entry {
    uint32_t gsi;
    uint32_t address_lo;
    uint32_t address_hi;
    uint32_t data;
};

struct mshv_user_irq_table {
    uint32_t nr;
    uint32_t rsvd;
    struct mshv_user_irq_entry entries[];
};

/* ---- Hypercall pass-through ------------------------------------------ */

struct mshv_root_hvcall {
    uint16_t code;
    uint16_t reps;              /* in: rep count; out: reps completed */
    uint16_t in_sz;
    uint16_t out_sz;
    uint16_t status;            /* out: HV_STATUS_* */
    uint8_t rsvd[6];
    uint64_t in_ptr;
    uint64_t out_ptr;
};

#define MSHV_HVCALL_MAX_IO_SIZE         4096

/* ---- VPs ------------------------------------------------------------- */

#define MSHV_RUN_VP_BUF_SZ              256

struct mshv_run_vp {
    uint8_t msg_buf[MSHV_RUN_VP_BUF_SZ];
};

enum {
    MSHV_VP_STATE_LAPIC,
    MSHV_VP_STATE_XSAVE,
    MSHV_VP_STATE_SIMP,
    MSHV_VP_STATE_SIEFP,
    MSHV_VP_STATE_SYNTHETIC_TIMERS,
    MSHV_VP_STATE_COUNT,
};

struct mshv_get_set_vp_state {
    uint8_t type;               /* MSHV_VP_STATE_* */
    uint8_t rsvd[3];
    uint32_t buf_sz;            /* in: page-aligned size; out: data size */
    uint64_t buf_ptr;           /* page aligned */
};

/* mmap offsets (in pages) of a VP fd */
enum {
    MSHV_VP_MMAP_OFFSET_REGISTERS,
    MSHV_VP_MMAP_OFFSET_INTERCEPT_MESSAGE,
    MSHV_VP_MMAP_OFFSET_GHCB,
    MSHV_VP_MMAP_OFFSET_COUNT,
};

/* ==== Microsoft Hypervisor structures ================================= */

#define HV_PARTITION_ID_SELF            ((uint64_t)-1)

/* ---- Hypercall status ------------------------------------------------ */

/*
 * Decimal, spelled as QEMU's hw/hyperv/hyperv-proto.h spells the ones it
 * has, so that both headers can be included together.
 */

#define HV_STATUS_SUCCESS                               0  /* 0x0 */
#define HV_STATUS_INVALID_HYPERCALL_CODE                2  /* 0x2 */
#define HV_STATUS_INVALID_HYPERCALL_INPUT               3  /* 0x3 */
#define HV_STATUS_INVALID_ALIGNMENT                     4  /* 0x4 */
#define HV_STATUS_INVALID_PARAMETER                     5  /* 0x5 */
#define HV_STATUS_ACCESS_DENIED                         6  /* 0x6 */
#define HV_STATUS_INVALID_PARTITION_STATE               7  /* 0x7 */
#define HV_STATUS_OPERATION_DENIED                      8  /* 0x8 */
#define HV_STATUS_UNKNOWN_PROPERTY                      9  /* 0x9 */
#define HV_STATUS_PROPERTY_VALUE_OUT_OF_RANGE           10  /* 0xA */
#define HV_STATUS_INSUFFICIENT_MEMORY                   11  /* 0xB */
#define HV_STATUS_INVALID_PARTITION_ID                  13  /* 0xD */
#define HV_STATUS_INVALID_VP_INDEX                      14  /* 0xE */
#define HV_STATUS_NOT_FOUND                             16  /* 0x10 */
#define HV_STATUS_INVALID_PORT_ID                       17  /* 0x11 */
#define HV_STATUS_INVALID_CONNECTION_ID                 18  /* 0x12 */
#define HV_STATUS_INSUFFICIENT_BUFFERS                  19  /* 0x13 */
#define HV_STATUS_NOT_ACKNOWLEDGED                      20  /* 0x14 */
#define HV_STATUS_INVALID_VP_STATE                      21  /* 0x15 */
#define HV_STATUS_NO_RESOURCES                          29  /* 0x1D */
#define HV_STATUS_PROCESSOR_FEATURE_NOT_SUPPORTED       32  /* 0x20 */
#define HV_STATUS_INVALID_LP_INDEX                      65  /* 0x41 */
#define HV_STATUS_INVALID_REGISTER_VALUE                80  /* 0x50 */
#define HV_STATUS_OPERATION_FAILED                      113  /* 0x71 */
#define HV_STATUS_INSUFFICIENT_ROOT_MEMORY              115  /* 0x73 */
#define HV_STATUS_INSUFFICIENT_CONTIGUOUS_MEMORY        117  /* 0x75 */
#define HV_STATUS_TIME_OUT                              120  /* 0x78 */
#define HV_STATUS_CALL_PENDING                          121  /* 0x79 */
#define HV_STATUS_INSUFFICIENT_CONTIGUOUS_ROOT_MEMORY   131  /* 0x83 */
#define HV_STATUS_VTL_ALREADY_ENABLED                   134  /* 0x86 */

/* ---- Hypercall codes ------------------------------------------------- */

#define HVCALL_CREATE_PARTITION                 0x0040
#define HVCALL_INITIALIZE_PARTITION             0x0041
#define HVCALL_FINALIZE_PARTITION               0x0042
#define HVCALL_DELETE_PARTITION                 0x0043
#define HVCALL_GET_PARTITION_PROPERTY           0x0044
#define HVCALL_SET_PARTITION_PROPERTY           0x0045
#define HVCALL_DEPOSIT_MEMORY                   0x0048
#define HVCALL_WITHDRAW_MEMORY                  0x0049
#define HVCALL_MAP_GPA_PAGES                    0x004B
#define HVCALL_UNMAP_GPA_PAGES                  0x004C
#define HVCALL_INSTALL_INTERCEPT                0x004D
#define HVCALL_CREATE_VP                        0x004E
#define HVCALL_DELETE_VP                        0x004F
#define HVCALL_GET_VP_REGISTERS                 0x0050
#define HVCALL_SET_VP_REGISTERS                 0x0051
#define HVCALL_TRANSLATE_VIRTUAL_ADDRESS        0x0052
#define HVCALL_READ_GPA                         0x0053
#define HVCALL_WRITE_GPA                        0x0054
#define HVCALL_CLEAR_VIRTUAL_INTERRUPT          0x0056
#define HVCALL_DELETE_PORT                      0x0058
#define HVCALL_DISCONNECT_PORT                  0x005B
#define HVCALL_POST_MESSAGE                     0x005C
#define HVCALL_SIGNAL_EVENT                     0x005D
#define HVCALL_NOTIFY_PORT_RING_EMPTY           0x008B
#define HVCALL_REGISTER_INTERCEPT_RESULT        0x0091
#define HVCALL_ASSERT_VIRTUAL_INTERRUPT         0x0094
#define HVCALL_CREATE_PORT                      0x0095
#define HVCALL_CONNECT_PORT                     0x0096
#define HVCALL_SIGNAL_EVENT_DIRECT              0x00C0
#define HVCALL_POST_MESSAGE_DIRECT              0x00C1
#define HVCALL_DISPATCH_VP                      0x00C2
#define HVCALL_GET_GPA_PAGES_ACCESS_STATES      0x00C9
#define HVCALL_GET_VP_STATE                     0x00E3
#define HVCALL_SET_VP_STATE                     0x00E4
#define HVCALL_GET_VP_CPUID_VALUES              0x00F4
#define HVCALL_GET_PARTITION_PROPERTY_EX        0x0101

/*
 * Guest hypercalls (TLFS): what a child partition's guest calls through
 * its hypercall page.  The control word in RCX (EDX:EAX in 32-bit mode):
 * bits 0-15 the code, bit 16 fast (input in registers), bits 17-26 the
 * variable header size in 8-byte units, bits 32-43 the rep count, bits
 * 48-59 the first rep.  The result in RAX: bits 0-15 the status, bits
 * 32-43 the reps completed.
 */
#define HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE      0x0002
#define HVCALL_FLUSH_VIRTUAL_ADDRESS_LIST       0x0003
#define HVCALL_NOTIFY_LONG_SPIN_WAIT            0x0008
#define HVCALL_SEND_IPI                         0x000B
#define HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE_EX   0x0013
#define HVCALL_FLUSH_VIRTUAL_ADDRESS_LIST_EX    0x0014
#define HVCALL_SEND_IPI_EX                      0x0015

#define HV_HYPERCALL_FAST_BIT                   (1ULL << 16)
#define HV_HYPERCALL_VARHEAD_SHIFT              17
#define HV_HYPERCALL_VARHEAD_MASK               0x3ffULL
#define HV_HYPERCALL_REP_COUNT_SHIFT            32
#define HV_HYPERCALL_REP_START_SHIFT            48
#define HV_HYPERCALL_REP_MASK                   0xfffULL
#define HV_HYPERCALL_RESULT_REPS_SHIFT          32

/* HVCALL_FLUSH_VIRTUAL_ADDRESS_* flags */
#define HV_FLUSH_ALL_PROCESSORS                 (1ULL << 0)
#define HV_FLUSH_ALL_VIRTUAL_ADDRESS_SPACES     (1ULL << 1)
#define HV_FLUSH_NON_GLOBAL_MAPPINGS_ONLY       (1ULL << 2)
#define HV_FLUSH_USE_EXTENDED_RANGE_FORMAT      (1ULL << 3)

/* HV_VP_SET formats (the Ex hypercalls): 64 VPs per bank */
#define HV_GENERIC_SET_SPARSE_4K                0
#define HV_GENERIC_SET_ALL                      1
#define HV_VP_SET_BANK_COUNT_MAX                64

/* ---- Partition properties -------------------------------------------- */

#define HV_PARTITION_PROPERTY_PRIVILEGE_FLAGS                   0x00010000
#define HV_PARTITION_PROPERTY_SYNTHETIC_PROC_FEATURES           0x00010001
#define HV_PARTITION_PROPERTY_SUSPEND                           0x00020000
#define HV_PARTITION_PROPERTY_INTEGRATED_SCHEDULER_ENABLED      0x00020005
#define HV_PARTITION_PROPERTY_TIME_FREEZE                       0x00030003
#define HV_PARTITION_PROPERTY_REFERENCE_TIME                    0x00030005
#define HV_PARTITION_PROPERTY_GPA_PAGE_ACCESS_TRACKING          0x00050005
#define HV_PARTITION_PROPERTY_UNIMPLEMENTED_MSR_ACTION          0x00050017
#define HV_PARTITION_PROPERTY_PROCESSOR_VENDOR                  0x00060000
#define HV_PARTITION_PROPERTY_PROCESSOR_XSAVE_FEATURES          0x00060002
#define HV_PARTITION_PROPERTY_PROCESSOR_CL_FLUSH_SIZE           0x00060003
#define HV_PARTITION_PROPERTY_COMPATIBILITY_VERSION             0x00060005
#define HV_PARTITION_PROPERTY_PHYSICAL_ADDRESS_WIDTH            0x00060006
#define HV_PARTITION_PROPERTY_XSAVE_STATES                      0x00060007
#define HV_PARTITION_PROPERTY_MAX_XSAVE_DATA_SIZE               0x00060008
#define HV_PARTITION_PROPERTY_PROCESSOR_CLOCK_FREQUENCY         0x00060009
#define HV_PARTITION_PROPERTY_PROCESSOR_FEATURES0               0x0006000A
#define HV_PARTITION_PROPERTY_PROCESSOR_FEATURES1               0x0006000B
#define HV_PARTITION_PROPERTY_GUEST_OS_ID                       0x00070000
#define HV_PARTITION_PROPERTY_VMM_CAPABILITIES                  0x00090007
#define HV_PARTITION_PROPERTY_ASSIGNABLE_SYNTHETIC_PROC_FEATURES 0x00090009

/* PROCESSOR_FEATURES1 (bank 1) bits: CET shadow stacks (72) and IBT (73) */
#define HV_PROCESSOR_FEATURES1_CET_SS                   (1ULL << 8)
#define HV_PROCESSOR_FEATURES1_CET_IBT                  (1ULL << 9)

/* UNIMPLEMENTED_MSR_ACTION values */
#define HV_UNIMPLEMENTED_MSR_ACTION_FAULT               0
#define HV_UNIMPLEMENTED_MSR_ACTION_IGNORE_WRITE_READ_ZERO 1

#define HV_PARTITION_PROPERTY_EX_MAX_VAR_SIZE   4072

/* SYNTHETIC_PROC_FEATURES bits */
#define HV_SYNTHETIC_PROC_HYPERVISOR_PRESENT            0
#define HV_SYNTHETIC_PROC_HV1                           1
#define HV_SYNTHETIC_PROC_ACCESS_VP_RUN_TIME_REG        2
#define HV_SYNTHETIC_PROC_ACCESS_PARTITION_REFERENCE_COUNTER 3
#define HV_SYNTHETIC_PROC_ACCESS_SYNIC_REGS             4
#define HV_SYNTHETIC_PROC_ACCESS_SYNTHETIC_TIMER_REGS   5
#define HV_SYNTHETIC_PROC_ACCESS_INTR_CTRL_REGS         6
#define HV_SYNTHETIC_PROC_ACCESS_HYPERCALL_REGS         7
#define HV_SYNTHETIC_PROC_ACCESS_VP_INDEX               8
#define HV_SYNTHETIC_PROC_ACCESS_PARTITION_REFERENCE_TSC 9
#define HV_SYNTHETIC_PROC_ACCESS_GUEST_IDLE_REG         10
#define HV_SYNTHETIC_PROC_ACCESS_FREQUENCY_REGS         11
#define HV_SYNTHETIC_PROC_FAST_HYPERCALL_OUTPUT         18
#define HV_SYNTHETIC_PROC_START_VIRTUAL_PROCESSOR       20
#define HV_SYNTHETIC_PROC_DIRECT_SYNTHETIC_TIMERS       22
#define HV_SYNTHETIC_PROC_EXTENDED_PROCESSOR_MASKS      24
#define HV_SYNTHETIC_PROC_TB_FLUSH_HYPERCALLS           25
#define HV_SYNTHETIC_PROC_SYNTHETIC_CLUSTER_IPI         26
#define HV_SYNTHETIC_PROC_NOTIFY_LONG_SPIN_WAIT         27
#define HV_SYNTHETIC_PROC_QUERY_NUMA_DISTANCE           28
#define HV_SYNTHETIC_PROC_SIGNAL_EVENTS                 29
#define HV_SYNTHETIC_PROC_RETARGET_DEVICE_INTERRUPT     30
#define HV_SYNTHETIC_PROC_RESTORE_TIME                  31
#define HV_SYNTHETIC_PROC_ENLIGHTENED_VMCS              32

/* ---- Messages -------------------------------------------------------- */

#define HV_MESSAGE_SIZE                 256
#define HV_MESSAGE_PAYLOAD_BYTE_COUNT   240
#define HV_MESSAGE_PAYLOAD_QWORD_COUNT  30

enum hv_message_type {
    HVMSG_NONE                          = 0x00000000,
    HVMSG_UNMAPPED_GPA                  = 0x80000000,
    HVMSG_GPA_INTERCEPT                 = 0x80000001,
    HVMSG_UNACCEPTED_GPA                = 0x80000003,
    HVMSG_GPA_ATTRIBUTE_INTERCEPT       = 0x80000004,
    HVMSG_TIMER_EXPIRED                 = 0x80000010,
    HVMSG_INVALID_VP_REGISTER_VALUE     = 0x80000020,
    HVMSG_UNRECOVERABLE_EXCEPTION       = 0x80000021,
    HVMSG_UNSUPPORTED_FEATURE           = 0x80000022,
    HVMSG_OPAQUE_INTERCEPT              = 0x8000003F,
    HVMSG_EVENTLOG_BUFFERCOMPLETE       = 0x80000040,
    HVMSG_HYPERCALL_INTERCEPT           = 0x80000050,
    HVMSG_SYNIC_EVENT_INTERCEPT         = 0x80000060,
    HVMSG_SYNIC_SINT_INTERCEPT          = 0x80000061,
    HVMSG_SYNIC_SINT_DELIVERABLE        = 0x80000062,
    HVMSG_ASYNC_CALL_COMPLETION         = 0x80000070,
    HVMSG_SCHEDULER_VP_SIGNAL_BITSET    = 0x80000100,
    HVMSG_SCHEDULER_VP_SIGNAL_PAIR      = 0x80000101,
    HVMSG_X64_IO_PORT_INTERCEPT         = 0x80010000,
    HVMSG_X64_MSR_INTERCEPT             = 0x80010001,
    HVMSG_X64_CPUID_INTERCEPT           = 0x80010002,
    HVMSG_X64_EXCEPTION_INTERCEPT       = 0x80010003,
    HVMSG_X64_APIC_EOI                  = 0x80010004,
    HVMSG_X64_LEGACY_FP_ERROR           = 0x80010005,
    HVMSG_X64_IOMMU_PRQ                 = 0x80010006,
    HVMSG_X64_HALT                      = 0x80010007,
    HVMSG_X64_INTERRUPTION_DELIVERABLE  = 0x80010008,
    HVMSG_X64_SIPI_INTERCEPT            = 0x80010009,
};

struct hv_message_header {
    uint32_t message_type;      /* enum hv_message_type */
    uint8_t payload_size;
    uint8_t message_flags;      /* bit 0: another message pending */
    uint8_t reserved[2];
    uint64_t sender;            /* partition id, or port id in the low half */
} MSHV_ABI_PACKED;

#define HV_MESSAGE_FLAG_PENDING         0x1

struct hv_message {
    struct hv_message_header header;
    union {
        uint64_t payload[HV_MESSAGE_PAYLOAD_QWORD_COUNT];
        uint8_t payload_bytes[HV_MESSAGE_PAYLOAD_BYTE_COUNT];
    };
} MSHV_ABI_PACKED;

/* ---- Registers as the hypervisor encodes them ------------------------ */

struct hv_x64_segment_register {
    uint64_t base;
    uint32_t limit;
    uint16_t selector;
    uint16_t attributes;
} MSHV_ABI_PACKED;

/* hv_x64_segment_register.attributes */
#define HV_SEG_ATTR_TYPE_MASK           0x000f
#define HV_SEG_ATTR_S                   (1u << 4)
#define HV_SEG_ATTR_DPL_SHIFT           5
#define HV_SEG_ATTR_DPL_MASK            (3u << HV_SEG_ATTR_DPL_SHIFT)
#define HV_SEG_ATTR_P                   (1u << 7)
#define HV_SEG_ATTR_AVL                 (1u << 12)
#define HV_SEG_ATTR_L                   (1u << 13)
#define HV_SEG_ATTR_DB                  (1u << 14)
#define HV_SEG_ATTR_G                   (1u << 15)

struct hv_x64_table_register {
    uint16_t pad[3];
    uint16_t limit;
    uint64_t base;
} MSHV_ABI_PACKED;

struct hv_x64_fp_control_status_register {
    uint16_t fp_control;
    uint16_t fp_status;
    uint8_t fp_tag;             /* abridged */
    uint8_t reserved;
    uint16_t last_fp_op;
    uint64_t last_fp_rip;
} MSHV_ABI_PACKED;

struct hv_x64_xmm_control_status_register {
    uint64_t last_fp_rdp;
    uint32_t xmm_status_control;        /* MXCSR */
    uint32_t xmm_status_control_mask;
} MSHV_ABI_PACKED;

struct hv_u128 {
    uint64_t low_part;
    uint64_t high_part;
} MSHV_ABI_PACKED;

union hv_register_value {
    struct hv_u128 reg128;
    uint64_t reg64;
    uint32_t reg32;
    uint16_t reg16;
    uint8_t reg8;
    struct hv_x64_segment_register segment;
    struct hv_x64_table_register table;
    struct hv_x64_fp_control_status_register fp_control_status;
    struct hv_x64_xmm_control_status_register xmm_control_status;
};

/* FP_MMXn: 80-bit x87 register in the low 10 bytes. */

/* PENDING_INTERRUPTION */
#define HV_PENDING_INTERRUPTION_PENDING         (1ULL << 0)
#define HV_PENDING_INTERRUPTION_TYPE_SHIFT      1
#define HV_PENDING_INTERRUPTION_TYPE_MASK       (7ULL << 1)
#define HV_PENDING_INTERRUPTION_DELIVER_ERROR_CODE (1ULL << 4)
#define HV_PENDING_INTERRUPTION_INSTR_LEN_SHIFT 5
#define HV_PENDING_INTERRUPTION_NESTED_EVENT    (1ULL << 9)
#define HV_PENDING_INTERRUPTION_VECTOR_SHIFT    16
#define HV_PENDING_INTERRUPTION_ERROR_CODE_SHIFT 32

#define HV_X64_PENDING_INTERRUPT        0
#define HV_X64_PENDING_NMI              2
#define HV_X64_PENDING_EXCEPTION        3

/*
 * PENDING_EVENT0/1 (128 bits): bit 0 pending, bits 1-3 the event type,
 * bit 8 deliver the error code, bits 16-31 the vector, bits 32-63 the
 * error code, bits 64-127 the exception parameter (#PF: CR2, #DB: DR6).
 */
#define HV_PENDING_EVENT_PENDING                (1ULL << 0)
#define HV_PENDING_EVENT_TYPE_SHIFT             1
#define HV_PENDING_EVENT_TYPE_MASK              (7ULL << 1)
#define HV_PENDING_EVENT_DELIVER_ERROR_CODE     (1ULL << 8)
#define HV_PENDING_EVENT_VECTOR_SHIFT           16
#define HV_PENDING_EVENT_ERROR_CODE_SHIFT       32
#define HV_X64_PENDING_EVENT_EXCEPTION          0

/*
 * DELIVERABILITY_NOTIFICATIONS: one-shot requests for an
 * HVMSG_X64_INTERRUPTION_DELIVERABLE when the VP can take an NMI or an
 * external interrupt; bits 48-63 ask the same for SINTs.
 */
#define HV_DELIVERABILITY_NMI           (1ULL << 0)
#define HV_DELIVERABILITY_INTERRUPT     (1ULL << 1)
#define HV_DELIVERABILITY_PRIORITY_SHIFT 2
#define HV_DELIVERABILITY_SINTS_SHIFT   48

/* INTERRUPT_STATE */
#define HV_INTERRUPT_STATE_SHADOW       (1ULL << 0)
#define HV_INTERRUPT_STATE_NMI_MASKED   (1ULL << 1)

/* INTERNAL_ACTIVITY_STATE */
#define HV_ACTIVITY_STARTUP_SUSPEND     (1ULL << 0)
#define HV_ACTIVITY_HALT_SUSPEND        (1ULL << 1)
#define HV_ACTIVITY_IDLE_SUSPEND        (1ULL << 2)

enum hv_register_name {
    /* Suspend and activity state */
    HV_REGISTER_EXPLICIT_SUSPEND                = 0x00000000,
    HV_REGISTER_INTERCEPT_SUSPEND               = 0x00000001,
    HV_REGISTER_INSTRUCTION_EMULATION_HINTS     = 0x00000002,
    HV_REGISTER_DISPATCH_SUSPEND                = 0x00000003,
    HV_REGISTER_INTERNAL_ACTIVITY_STATE         = 0x00000004,

    /* Hypervisor information (the CPUID 0x4000000x leaves) */
    HV_REGISTER_HYPERVISOR_VERSION              = 0x00000100,
    HV_REGISTER_PRIVILEGES_AND_FEATURES_INFO    = 0x00000200,
    HV_REGISTER_FEATURES_INFO                   = 0x00000201,
    HV_REGISTER_IMPLEMENTATION_LIMITS_INFO      = 0x00000202,
    HV_REGISTER_HARDWARE_FEATURES_INFO          = 0x00000203,

    /* Guest crash MSRs */
    HV_REGISTER_GUEST_CRASH_P0                  = 0x00000210,
    HV_REGISTER_GUEST_CRASH_P1                  = 0x00000211,
    HV_REGISTER_GUEST_CRASH_P2                  = 0x00000212,
    HV_REGISTER_GUEST_CRASH_P3                  = 0x00000213,
    HV_REGISTER_GUEST_CRASH_P4                  = 0x00000214,
    HV_REGISTER_GUEST_CRASH_CTL                 = 0x00000215,
    HV_REGISTER_PROCESSOR_CLOCK_FREQUENCY       = 0x00000240,
    HV_REGISTER_INTERRUPT_CLOCK_FREQUENCY       = 0x00000241,
    HV_REGISTER_GUEST_IDLE                      = 0x00000250,

    /* Pending events */
    HV_REGISTER_PENDING_INTERRUPTION            = 0x00010002,
    HV_REGISTER_INTERRUPT_STATE                 = 0x00010003,
    HV_REGISTER_PENDING_EVENT0                  = 0x00010004,
    HV_REGISTER_PENDING_EVENT1                  = 0x00010005,
    HV_REGISTER_DELIVERABILITY_NOTIFICATIONS    = 0x00010006,
    HV_REGISTER_PENDING_DEBUG_EXCEPTION         = 0x00010007,

    /* General purpose registers, in encoding order */
    HV_X64_REGISTER_RAX                         = 0x00020000,
    HV_X64_REGISTER_RCX                         = 0x00020001,
    HV_X64_REGISTER_RDX                         = 0x00020002,
    HV_X64_REGISTER_RBX                         = 0x00020003,
    HV_X64_REGISTER_RSP                         = 0x00020004,
    HV_X64_REGISTER_RBP                         = 0x00020005,
    HV_X64_REGISTER_RSI                         = 0x00020006,
    HV_X64_REGISTER_RDI                         = 0x00020007,
    HV_X64_REGISTER_R8                          = 0x00020008,
    HV_X64_REGISTER_R9                          = 0x00020009,
    HV_X64_REGISTER_R10                         = 0x0002000A,
    HV_X64_REGISTER_R11                         = 0x0002000B,
    HV_X64_REGISTER_R12                         = 0x0002000C,
    HV_X64_REGISTER_R13                         = 0x0002000D,
    HV_X64_REGISTER_R14                         = 0x0002000E,
    HV_X64_REGISTER_R15                         = 0x0002000F,
    HV_X64_REGISTER_RIP                         = 0x00020010,
    HV_X64_REGISTER_RFLAGS                      = 0x00020011,

    /* Floating point and vector state */
    HV_X64_REGISTER_XMM0                        = 0x00030000,
    HV_X64_REGISTER_XMM15                       = 0x0003000F,
    HV_X64_REGISTER_FP_MMX0                     = 0x00030010,
    HV_X64_REGISTER_FP_MMX7                     = 0x00030017,
    HV_X64_REGISTER_FP_CONTROL_STATUS           = 0x00030018,
    HV_X64_REGISTER_XMM_CONTROL_STATUS          = 0x00030019,

    /* Control registers */
    HV_X64_REGISTER_CR0                         = 0x00040000,
    HV_X64_REGISTER_CR2                         = 0x00040001,
    HV_X64_REGISTER_CR3                         = 0x00040002,
    HV_X64_REGISTER_CR4                         = 0x00040003,
    HV_X64_REGISTER_CR8                         = 0x00040004,
    HV_X64_REGISTER_XFEM                        = 0x00040005,
    HV_X64_REGISTER_INTERMEDIATE_CR0            = 0x00041000,
    HV_X64_REGISTER_INTERMEDIATE_CR3            = 0x00041002,
    HV_X64_REGISTER_INTERMEDIATE_CR4            = 0x00041003,
    HV_X64_REGISTER_INTERMEDIATE_CR8            = 0x00041004,

    /* Debug registers */
    HV_X64_REGISTER_DR0                         = 0x00050000,
    HV_X64_REGISTER_DR1                         = 0x00050001,
    HV_X64_REGISTER_DR2                         = 0x00050002,
    HV_X64_REGISTER_DR3                         = 0x00050003,
    HV_X64_REGISTER_DR6                         = 0x00050004,
    HV_X64_REGISTER_DR7                         = 0x00050005,

    /* Segment and table registers */
    HV_X64_REGISTER_ES                          = 0x00060000,
    HV_X64_REGISTER_CS                          = 0x00060001,
    HV_X64_REGISTER_SS                          = 0x00060002,
    HV_X64_REGISTER_DS                          = 0x00060003,
    HV_X64_REGISTER_FS                          = 0x00060004,
    HV_X64_REGISTER_GS                          = 0x00060005,
    HV_X64_REGISTER_LDTR                        = 0x00060006,
    HV_X64_REGISTER_TR                          = 0x00060007,
    HV_X64_REGISTER_IDTR                        = 0x00070000,
    HV_X64_REGISTER_GDTR                        = 0x00070001,

    /* Architectural MSRs */
    HV_X64_REGISTER_TSC                         = 0x00080000,
    HV_X64_REGISTER_EFER                        = 0x00080001,
    HV_X64_REGISTER_KERNEL_GS_BASE              = 0x00080002,
    HV_X64_REGISTER_APIC_BASE                   = 0x00080003,
    HV_X64_REGISTER_PAT                         = 0x00080004,
    HV_X64_REGISTER_SYSENTER_CS                 = 0x00080005,
    HV_X64_REGISTER_SYSENTER_EIP                = 0x00080006,
    HV_X64_REGISTER_SYSENTER_ESP                = 0x00080007,
    HV_X64_REGISTER_STAR                        = 0x00080008,
    HV_X64_REGISTER_LSTAR                       = 0x00080009,
    HV_X64_REGISTER_CSTAR                       = 0x0008000A,
    HV_X64_REGISTER_SFMASK                      = 0x0008000B,
    HV_X64_REGISTER_INITIAL_APIC_ID             = 0x0008000C,
    HV_X64_REGISTER_MSR_MTRR_CAP                = 0x0008000D,
    HV_X64_REGISTER_MSR_MTRR_DEF_TYPE           = 0x0008000E,
    HV_X64_REGISTER_MSR_MTRR_PHYS_BASE0         = 0x00080010,
    HV_X64_REGISTER_MSR_MTRR_PHYS_MASK0         = 0x00080040,
    HV_X64_REGISTER_MSR_MTRR_FIX64K00000        = 0x00080070,
    HV_X64_REGISTER_MSR_MTRR_FIX16K80000        = 0x00080071,
    HV_X64_REGISTER_MSR_MTRR_FIX16KA0000        = 0x00080072,
    HV_X64_REGISTER_MSR_MTRR_FIX4KC0000         = 0x00080073,
    HV_X64_REGISTER_MSR_MTRR_FIX4KF8000         = 0x0008007A,
    HV_X64_REGISTER_TSC_AUX                     = 0x0008007B,
    HV_X64_REGISTER_BNDCFGS                     = 0x0008007C,
    HV_X64_REGISTER_DEBUG_CTL                   = 0x0008007D,
    HV_X64_REGISTER_SGX_LAUNCH_CONTROL0         = 0x00080080,
    HV_X64_REGISTER_SGX_LAUNCH_CONTROL3         = 0x00080083,
    HV_X64_REGISTER_SPEC_CTRL                   = 0x00080084,
    HV_X64_REGISTER_PRED_CMD                    = 0x00080085,
    HV_X64_REGISTER_VIRT_SPEC_CTRL              = 0x00080086,
    HV_X64_REGISTER_TSX_CTRL                    = 0x00080088,
    HV_X64_REGISTER_U_XSS                       = 0x0008008B,
    HV_X64_REGISTER_U_CET                       = 0x0008008C,
    HV_X64_REGISTER_S_CET                       = 0x0008008D,
    HV_X64_REGISTER_SSP                         = 0x0008008E,
    HV_X64_REGISTER_PL0_SSP                     = 0x0008008F,
    HV_X64_REGISTER_PL1_SSP                     = 0x00080090,
    HV_X64_REGISTER_PL2_SSP                     = 0x00080091,
    HV_X64_REGISTER_PL3_SSP                     = 0x00080092,
    HV_X64_REGISTER_INTERRUPT_SSP_TABLE_ADDR    = 0x00080093,
    HV_X64_REGISTER_TSC_DEADLINE                = 0x00080095,
    HV_X64_REGISTER_TSC_ADJUST                  = 0x00080096,
    HV_X64_REGISTER_UMWAIT_CONTROL              = 0x00080098,
    HV_X64_REGISTER_XFD                         = 0x00080099,
    HV_X64_REGISTER_XFD_ERR                     = 0x0008009A,
    HV_X64_REGISTER_MSR_IA32_MISC_ENABLE        = 0x000800A0,
    HV_X64_REGISTER_IA32_FEATURE_CONTROL        = 0x000800A1,

    /* Hyper-V synthetic MSRs */
    HV_REGISTER_VP_RUNTIME                      = 0x00090000,
    HV_X64_REGISTER_HYPERCALL                   = 0x00090001,
    HV_REGISTER_GUEST_OS_ID                     = 0x00090002,
    HV_REGISTER_VP_INDEX                        = 0x00090003,
    HV_REGISTER_TIME_REF_COUNT                  = 0x00090004,
    HV_REGISTER_CPU_MANAGEMENT_VERSION          = 0x00090007,
    HV_X64_REGISTER_SYNTHETIC_EOI               = 0x00090010,
    HV_X64_REGISTER_SYNTHETIC_ICR               = 0x00090011,
    HV_X64_REGISTER_SYNTHETIC_TPR               = 0x00090012,
    HV_REGISTER_VP_ASSIST_PAGE                  = 0x00090013,
    HV_REGISTER_REFERENCE_TSC                   = 0x00090017,
    HV_X64_REGISTER_REG_PAGE                    = 0x0009001C,

    /* SynIC */
    HV_REGISTER_SINT0                           = 0x000A0000,
    HV_REGISTER_SINT15                          = 0x000A000F,
    HV_REGISTER_SCONTROL                        = 0x000A0010,
    HV_REGISTER_SVERSION                        = 0x000A0011,
    HV_REGISTER_SIEFP                           = 0x000A0012,
    HV_REGISTER_SIMP                            = 0x000A0013,
    HV_REGISTER_EOM                             = 0x000A0014,
    HV_REGISTER_SIRBP                           = 0x000A0015,

    /* Synthetic timers: CONFIG = 0xB0000 + 2n, COUNT = 0xB0001 + 2n */
    HV_REGISTER_STIMER0_CONFIG                  = 0x000B0000,
    HV_REGISTER_STIMER0_COUNT                   = 0x000B0001,
    HV_REGISTER_STIMER3_COUNT                   = 0x000B0007,
};

/* One register in HVCALL_SET_VP_REGISTERS */
struct hv_register_assoc {
    uint32_t name;              /* enum hv_register_name */
    uint32_t reserved1;
    uint64_t reserved2;
    union hv_register_value value;
} MSHV_ABI_PACKED;

/* ---- Hypercall inputs and outputs ------------------------------------ */

/* HVCALL_GET_VP_REGISTERS / HVCALL_SET_VP_REGISTERS (rep) */
struct hv_input_vp_registers {
    uint64_t partition_id;
    uint32_t vp_index;
    uint8_t input_vtl;
    uint8_t rsvd_z8;
    uint16_t rsvd_z16;
    /* GET: uint32_t names[reps]; SET: struct hv_register_assoc[reps] */
} MSHV_ABI_PACKED;

/* HVCALL_GET_PARTITION_PROPERTY */
struct hv_input_get_partition_property {
    uint64_t partition_id;
    uint32_t property_code;
    uint32_t padding;
} MSHV_ABI_PACKED;

struct hv_output_get_partition_property {
    uint64_t property_value;
} MSHV_ABI_PACKED;

/* HVCALL_SET_PARTITION_PROPERTY */
struct hv_input_set_partition_property {
    uint64_t partition_id;
    uint32_t property_code;
    uint32_t padding;
    uint64_t property_value;
} MSHV_ABI_PACKED;

/* HVCALL_GET_PARTITION_PROPERTY_EX */
struct hv_input_get_partition_property_ex {
    uint64_t partition_id;
    uint32_t property_code;
    uint32_t padding;
    uint64_t arg;
} MSHV_ABI_PACKED;

/* HVCALL_INSTALL_INTERCEPT */
enum hv_intercept_type {
    HV_INTERCEPT_TYPE_X64_IO_PORT       = 0x00,
    HV_INTERCEPT_TYPE_X64_MSR           = 0x01,
    HV_INTERCEPT_TYPE_X64_CPUID         = 0x02,
    HV_INTERCEPT_TYPE_EXCEPTION         = 0x03,
    HV_INTERCEPT_TYPE_MMIO              = 0x05,
    HV_INTERCEPT_TYPE_X64_GLOBAL_CPUID  = 0x06,
    HV_INTERCEPT_TYPE_X64_APIC_SMI      = 0x07,
    HV_INTERCEPT_TYPE_HYPERCALL         = 0x08,
    HV_INTERCEPT_TYPE_X64_APIC_INIT_SIPI = 0x09,
    HV_INTERCEPT_TYPE_X64_APIC_WRITE    = 0x0B,
    HV_INTERCEPT_TYPE_X64_MSR_INDEX     = 0x0C,
};

#define HV_INTERCEPT_ACCESS_MASK_READ           1
#define HV_INTERCEPT_ACCESS_MASK_WRITE          2
#define HV_INTERCEPT_ACCESS_MASK_EXECUTE        4

struct hv_input_install_intercept {
    uint64_t partition_id;
    uint32_t access_type;       /* HV_INTERCEPT_ACCESS_MASK_* */
    uint32_t intercept_type;    /* enum hv_intercept_type */
    uint64_t intercept_parameter;
} MSHV_ABI_PACKED;

/* HVCALL_REGISTER_INTERCEPT_RESULT, CPUID form */
struct hv_input_register_intercept_result_cpuid {
    uint64_t partition_id;
    uint32_t vp_index;
    uint32_t intercept_type;    /* HV_INTERCEPT_TYPE_X64_CPUID */
    uint32_t input_eax;
    uint32_t input_ecx;
    uint8_t subleaf_specific;
    uint8_t always_override;
    uint16_t padding;
    uint32_t eax;
    uint32_t eax_mask;
    uint32_t ebx;
    uint32_t ebx_mask;
    uint32_t ecx;
    uint32_t ecx_mask;
    uint32_t edx;
    uint32_t edx_mask;
} MSHV_ABI_PACKED;

/* HVCALL_REGISTER_INTERCEPT_RESULT, MSR form */
struct hv_input_register_intercept_result_msr {
    uint64_t partition_id;
    uint32_t vp_index;
    uint32_t intercept_type;    /* HV_INTERCEPT_TYPE_X64_MSR */
    uint32_t msr_index;
    uint32_t access_type;
    uint32_t action;            /* HV_UNIMPLEMENTED_MSR_ACTION_* */
} MSHV_ABI_PACKED;

/* HVCALL_GET_VP_CPUID_VALUES (rep) */
struct hv_input_get_vp_cpuid_values {
    uint64_t partition_id;
    uint32_t vp_index;
    uint32_t flags;
    uint32_t reserved;
    uint32_t padding;
    /* struct hv_cpuid_leaf_info[reps] */
} MSHV_ABI_PACKED;

#define HV_GET_VP_CPUID_USE_VP_XFEM_XSS         (1u << 0)
#define HV_GET_VP_CPUID_APPLY_REGISTERED_VALUES (1u << 1)

struct hv_cpuid_leaf_info {
    uint32_t eax;
    uint32_t ecx;
    uint64_t xfem;
    uint64_t xss;
} MSHV_ABI_PACKED;

struct hv_output_get_vp_cpuid_values {
    uint32_t eax;
    uint32_t ebx;
    uint32_t ecx;
    uint32_t edx;
} MSHV_ABI_PACKED;

/* HVCALL_TRANSLATE_VIRTUAL_ADDRESS */
#define HV_TRANSLATE_GVA_VALIDATE_READ          0x001
#define HV_TRANSLATE_GVA_VALIDATE_WRITE         0x002
#define HV_TRANSLATE_GVA_VALIDATE_EXECUTE       0x004
#define HV_TRANSLATE_GVA_PRIVILEGE_EXEMPT       0x008
#define HV_TRANSLATE_GVA_SET_PAGE_TABLE_BITS    0x010
#define HV_TRANSLATE_GVA_TLB_FLUSH_INHIBIT      0x020
#define HV_TRANSLATE_GVA_SUPERVISOR_ACCESS      0x040
#define HV_TRANSLATE_GVA_USER_ACCESS            0x080
#define HV_TRANSLATE_GVA_ENFORCE_SMAP           0x100
#define HV_TRANSLATE_GVA_OVERRIDE_SMAP          0x200
#define HV_TRANSLATE_GVA_SHADOW_STACK           0x400

enum hv_translate_gva_result_code {
    HV_TRANSLATE_GVA_SUCCESS                    = 0,
    HV_TRANSLATE_GVA_PAGE_NOT_PRESENT           = 1,
    HV_TRANSLATE_GVA_PRIVILEGE_VIOLATION        = 2,
    HV_TRANSLATE_GVA_INVALID_PAGE_TABLE_FLAGS   = 3,
    HV_TRANSLATE_GVA_GPA_UNMAPPED               = 4,
    HV_TRANSLATE_GVA_GPA_NO_READ_ACCESS         = 5,
    HV_TRANSLATE_GVA_GPA_NO_WRITE_ACCESS        = 6,
    HV_TRANSLATE_GVA_GPA_ILLEGAL_OVERLAY_ACCESS = 7,
    HV_TRANSLATE_GVA_INTERCEPT                  = 8,
    HV_TRANSLATE_GVA_GPA_UNACCEPTED             = 9,
};

struct hv_input_translate_virtual_address {
    uint64_t partition_id;
    uint32_t vp_index;
    uint32_t padding;
    uint64_t control_flags;
    uint64_t gva_page;
} MSHV_ABI_PACKED;

struct hv_output_translate_virtual_address {
    uint32_t result_code;       /* enum hv_translate_gva_result_code */
    uint8_t cache_type;
    uint8_t overlay_page;       /* bit 0 */
    uint16_t reserved;
    uint64_t gpa_page;
} MSHV_ABI_PACKED;

/* HVCALL_ASSERT_VIRTUAL_INTERRUPT */
enum hv_interrupt_type {
    HV_X64_INTERRUPT_TYPE_FIXED         = 0,
    HV_X64_INTERRUPT_TYPE_LOWESTPRIORITY = 1,
    HV_X64_INTERRUPT_TYPE_SMI           = 2,
    HV_X64_INTERRUPT_TYPE_REMOTEREAD    = 3,
    HV_X64_INTERRUPT_TYPE_NMI           = 4,
    HV_X64_INTERRUPT_TYPE_INIT          = 5,
    HV_X64_INTERRUPT_TYPE_SIPI          = 6,
    HV_X64_INTERRUPT_TYPE_EXTINT        = 7,
    HV_X64_INTERRUPT_TYPE_LOCALINT0     = 8,
    HV_X64_INTERRUPT_TYPE_LOCALINT1     = 9,
};

/* hv_interrupt_control */
#define HV_INTERRUPT_CONTROL_TYPE_MASK          0xffffffffULL
#define HV_INTERRUPT_CONTROL_LEVEL_TRIGGERED    (1ULL << 32)
#define HV_INTERRUPT_CONTROL_LOGICAL_DEST_MODE  (1ULL << 33)

struct hv_input_assert_virtual_interrupt {
    uint64_t partition_id;
    uint64_t control;
    uint64_t dest_addr;         /* APIC ID, or logical destination */
    uint32_t vector;
    uint8_t target_vtl;
    uint8_t rsvd_z0;
    uint16_t rsvd_z1;
} MSHV_ABI_PACKED;

/* HVCALL_CLEAR_VIRTUAL_INTERRUPT */
struct hv_input_clear_virtual_interrupt {
    uint64_t partition_id;
} MSHV_ABI_PACKED;

/* HVCALL_GET_GPA_PAGES_ACCESS_STATES (rep) */
#define HV_GPA_PAGE_ACCESS_CLEAR_ACCESSED       (1ULL << 0)
#define HV_GPA_PAGE_ACCESS_SET_ACCESSED         (1ULL << 1)
#define HV_GPA_PAGE_ACCESS_CLEAR_DIRTY          (1ULL << 2)
#define HV_GPA_PAGE_ACCESS_SET_DIRTY            (1ULL << 3)

#define HV_GPA_PAGE_ACCESS_STATE_ACCESSED       (1u << 0)
#define HV_GPA_PAGE_ACCESS_STATE_DIRTY          (1u << 1)

struct hv_input_get_gpa_pages_access_state {
    uint64_t partition_id;
    uint64_t flags;             /* HV_GPA_PAGE_ACCESS_* */
    uint64_t hv_gpa_page_number;
} MSHV_ABI_PACKED;

/* HVCALL_SIGNAL_EVENT_DIRECT */
struct hv_input_signal_event_direct {
    uint64_t target_partition;
    uint32_t target_vp;
    uint8_t target_vtl;
    uint8_t target_sint;
    uint16_t flag_number;
} MSHV_ABI_PACKED;

struct hv_output_signal_event_direct {
    uint8_t newly_signaled;
    uint8_t reserved[7];
} MSHV_ABI_PACKED;

/* HVCALL_POST_MESSAGE_DIRECT */
struct hv_input_post_message_direct {
    uint64_t partition_id;
    uint32_t vp_index;
    uint8_t vtl;
    uint8_t padding[3];
    uint32_t sint_index;
    uint8_t message[HV_MESSAGE_SIZE];
    uint32_t padding2;
} MSHV_ABI_PACKED;

/* ---- Intercept messages (payloads of struct hv_message) -------------- */

#define HV_INTERCEPT_ACCESS_READ        0
#define HV_INTERCEPT_ACCESS_WRITE       1
#define HV_INTERCEPT_ACCESS_EXECUTE     2

/* hv_x64_intercept_message_header.execution_state */
#define HV_X64_EXEC_STATE_CPL_MASK              0x0003
#define HV_X64_EXEC_STATE_CR0_PE                (1u << 2)
#define HV_X64_EXEC_STATE_CR0_AM                (1u << 3)
#define HV_X64_EXEC_STATE_EFER_LMA              (1u << 4)
#define HV_X64_EXEC_STATE_DEBUG_ACTIVE          (1u << 5)
#define HV_X64_EXEC_STATE_INTERRUPTION_PENDING  (1u << 6)
#define HV_X64_EXEC_STATE_INTERRUPT_SHADOW      (1u << 12)

struct hv_x64_intercept_message_header {
    uint32_t vp_index;
    uint8_t instruction_length_and_cr8;  /* bits 0-3 length, 4-7 CR8 */
    uint8_t intercept_access_type;       /* HV_INTERCEPT_ACCESS_* */
    uint16_t execution_state;            /* HV_X64_EXEC_STATE_* */
    struct hv_x64_segment_register cs_segment;
    uint64_t rip;
    uint64_t rflags;
} MSHV_ABI_PACKED;

/* hv_x64_io_port_intercept_message.access_info */
#define HV_X64_IO_ACCESS_SIZE_MASK      0x07
#define HV_X64_IO_ACCESS_STRING_OP      (1u << 3)
#define HV_X64_IO_ACCESS_REP_PREFIX     (1u << 4)

struct hv_x64_io_port_intercept_message {
    struct hv_x64_intercept_message_header header;
    uint16_t port_number;
    uint8_t access_info;
    uint8_t instruction_byte_count;
    uint32_t reserved;
    uint64_t rax;
    uint8_t instruction_bytes[16];
    struct hv_x64_segment_register ds_segment;
    struct hv_x64_segment_register es_segment;
    uint64_t rcx;
    uint64_t rsi;
    uint64_t rdi;
} MSHV_ABI_PACKED;

/* hv_x64_memory_intercept_message.memory_access_info */
#define HV_X64_MEMORY_ACCESS_GVA_VALID          (1u << 0)
#define HV_X64_MEMORY_ACCESS_GVA_GPA_VALID      (1u << 1)
#define HV_X64_MEMORY_ACCESS_HYPERCALL_OUTPUT_PENDING (1u << 2)
#define HV_X64_MEMORY_ACCESS_TLB_LOCKED_NO_OVERLAY (1u << 3)

struct hv_x64_memory_intercept_message {
    struct hv_x64_intercept_message_header header;
    uint32_t cache_type;
    uint8_t instruction_byte_count;
    uint8_t memory_access_info;
    uint8_t tpr_priority;
    uint8_t reserved1;
    uint64_t guest_virtual_address;
    uint64_t guest_physical_address;
    uint8_t instruction_bytes[16];
} MSHV_ABI_PACKED;

struct hv_x64_cpuid_intercept_message {
    struct hv_x64_intercept_message_header header;
    uint64_t rax;
    uint64_t rcx;
    uint64_t rdx;
    uint64_t rbx;
    uint64_t default_result_rax;
    uint64_t default_result_rcx;
    uint64_t default_result_rdx;
    uint64_t default_result_rbx;
} MSHV_ABI_PACKED;

struct hv_x64_msr_intercept_message {
    struct hv_x64_intercept_message_header header;
    uint32_t msr_number;
    uint32_t reserved;
    uint64_t rdx;
    uint64_t rax;
} MSHV_ABI_PACKED;

#define HV_X64_EXCEPTION_INFO_ERROR_CODE_VALID  (1u << 0)
#define HV_X64_EXCEPTION_INFO_SOFTWARE          (1u << 1)

struct hv_x64_exception_intercept_message {
    struct hv_x64_intercept_message_header header;
    uint16_t exception_vector;
    uint8_t exception_info;     /* HV_X64_EXCEPTION_INFO_* */
    uint8_t instruction_byte_count;
    uint32_t error_code;
    uint64_t exception_parameter;
    uint64_t reserved;
    uint8_t instruction_bytes[16];
    struct hv_x64_segment_register ds_segment;
    struct hv_x64_segment_register ss_segment;
    uint64_t rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi;
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
} MSHV_ABI_PACKED;

struct hv_x64_hypercall_intercept_message {
    struct hv_x64_intercept_message_header header;
    uint64_t rax;
    uint64_t rbx;
    uint64_t rcx;
    uint64_t rdx;
    uint64_t r8;
    uint64_t rsi;
    uint64_t rdi;
    struct hv_u128 xmmregisters[6];
    uint32_t isolated;          /* bit 0 */
} MSHV_ABI_PACKED;

struct hv_x64_interruption_deliverable_message {
    struct hv_x64_intercept_message_header header;
    uint32_t deliverable_type;  /* HV_X64_PENDING_* */
    uint32_t rsvd;
} MSHV_ABI_PACKED;

/* HVMSG_SYNIC_SINT_DELIVERABLE: requested SINTs whose slot is free */
struct hv_synic_sint_deliverable_message {
    struct hv_x64_intercept_message_header header;
    uint16_t deliverable_sints;
    uint16_t rsvd1;
    uint32_t rsvd2;
} MSHV_ABI_PACKED;

struct hv_x64_apic_eoi_message {
    uint32_t vp_index;
    uint32_t interrupt_vector;
} MSHV_ABI_PACKED;

struct hv_x64_sipi_intercept_message {
    struct hv_x64_intercept_message_header header;
    uint32_t target_vp_index;
    uint32_t interrupt_vector;
} MSHV_ABI_PACKED;

struct hv_unsupported_feature_message {
    uint32_t vp_index;
    uint32_t feature_code;              /* HV_UNSUPPORTED_FEATURE_* */
    uint64_t feature_parameter;
} MSHV_ABI_PACKED;

#define HV_UNSUPPORTED_FEATURE_INTERCEPT        1
#define HV_UNSUPPORTED_FEATURE_TASK_SWITCH_TSS  2

struct hv_timer_message_payload {
    uint32_t timer_index;
    uint32_t reserved;
    uint64_t expiration_time;
    uint64_t delivery_time;
} MSHV_ABI_PACKED;

/* ---- The VP register page (mmap offset MSHV_VP_MMAP_OFFSET_REGISTERS) - */

#define HV_VP_REGISTER_PAGE_VERSION_1           1

/* hv_vp_register_page.dirty: what the VMM changed, consumed on resume */
#define HV_X64_REGISTER_CLASS_GENERAL           0
#define HV_X64_REGISTER_CLASS_IP                1
#define HV_X64_REGISTER_CLASS_XMM               2
#define HV_X64_REGISTER_CLASS_SEGMENT           3
#define HV_X64_REGISTER_CLASS_FLAGS             4

struct hv_vp_register_page {
    uint16_t version;
    uint8_t isvalid;
    uint8_t rsvdz;
    uint32_t dirty;
    uint64_t gp_registers[16];  /* RAX, RCX, RDX, RBX, RSP, ... R15 */
    uint64_t rip;
    uint64_t rflags;
    uint64_t reserved;
    struct hv_u128 xmm[6];
    struct hv_x64_segment_register segment[6];  /* ES, CS, SS, DS, FS, GS */
    /* Read only through the page: */
    uint64_t cr0;
    uint64_t cr3;
    uint64_t cr4;
    uint64_t cr8;
    uint64_t efer;
    uint64_t dr7;
    uint64_t pending_interruption;
    uint64_t interrupt_state;
    uint64_t instruction_emulation_hints;
    uint64_t xfem;
    uint8_t reserved1[256];
    uint64_t interrupt_vectors;  /* byte 0 count (<= 7), bytes 1-7 vectors */
} MSHV_ABI_PACKED;

/* ---- VP state blobs (MSHV_GET/SET_VP_STATE) -------------------------- */

/* MSHV_VP_STATE_LAPIC: the first bytes of the 4 KiB page */
struct hv_local_interrupt_controller_state {
    uint32_t apic_id;
    uint32_t apic_version;
    uint32_t apic_ldr;
    uint32_t apic_dfr;
    uint32_t apic_spurious;
    uint32_t apic_isr[8];
    uint32_t apic_tmr[8];
    uint32_t apic_irr[8];
    uint32_t apic_esr;
    uint32_t apic_icr_high;
    uint32_t apic_icr_low;
    uint32_t apic_lvt_timer;
    uint32_t apic_lvt_thermal;
    uint32_t apic_lvt_perfmon;
    uint32_t apic_lvt_lint0;
    uint32_t apic_lvt_lint1;
    uint32_t apic_lvt_error;
    uint32_t apic_lvt_cmci;
    uint32_t apic_error_status;
    uint32_t apic_initial_count;
    uint32_t apic_counter_value;
    uint32_t apic_divide_configuration;
    uint32_t apic_remote_read;
} MSHV_ABI_PACKED;

/* MSHV_VP_STATE_SYNTHETIC_TIMERS */
#define HV_SYNIC_STIMER_COUNT           4

struct hv_stimer_state {
    uint32_t flags;             /* bit 0: undelivered message pending */
    uint32_t resvd;
    uint64_t config;
    uint64_t count;
    uint64_t adjustment;
    uint64_t undelivered_exp_time;
} MSHV_ABI_PACKED;

struct hv_synthetic_timers_state {
    struct hv_stimer_state timers[HV_SYNIC_STIMER_COUNT];
    uint64_t reserved[5];
} MSHV_ABI_PACKED;

#define HV_SYNIC_SINT_COUNT             16

/* ---- Layout checks ---------------------------------------------------- */

#define MSHV_ABI_SIZE(type, size) \
    _Static_assert(sizeof(type) == (size), "size of " #type)
#define MSHV_ABI_OFFSET(type, field, off) \
    _Static_assert(offsetof(type, field) == (off), "offset of " #field)

MSHV_ABI_SIZE(struct mshv_create_partition, 16);
MSHV_ABI_SIZE(struct mshv_create_partition_v2, 64);
MSHV_ABI_OFFSET(struct mshv_create_partition_v2, pt_cpu_fbanks, 24);
MSHV_ABI_OFFSET(struct mshv_create_partition_v2, pt_disabled_xsave, 56);
MSHV_ABI_SIZE(struct mshv_user_mem_region, 32);
MSHV_ABI_SIZE(struct mshv_user_irqfd, 16);
MSHV_ABI_SIZE(struct mshv_user_ioeventfd, 32);
MSHV_ABI_SIZE(struct mshv_user_irq_table, 8);
MSHV_ABI_SIZE(struct mshv_gpap_access_bitmap, 32);
MSHV_ABI_SIZE(struct mshv_root_hvcall, 32);
MSHV_ABI_SIZE(struct mshv_run_vp, 256);
MSHV_ABI_SIZE(struct mshv_get_set_vp_state, 16);

MSHV_ABI_SIZE(struct hv_message, HV_MESSAGE_SIZE);
MSHV_ABI_SIZE(struct hv_x64_segment_register, 16);
MSHV_ABI_SIZE(struct hv_x64_table_register, 16);
MSHV_ABI_SIZE(union hv_register_value, 16);
MSHV_ABI_SIZE(struct hv_register_assoc, 32);
MSHV_ABI_SIZE(struct hv_input_vp_registers, 16);
MSHV_ABI_SIZE(struct hv_input_set_partition_property, 24);
MSHV_ABI_SIZE(struct hv_input_install_intercept, 24);
MSHV_ABI_SIZE(struct hv_input_register_intercept_result_cpuid, 60);
MSHV_ABI_SIZE(struct hv_input_get_vp_cpuid_values, 24);
MSHV_ABI_SIZE(struct hv_cpuid_leaf_info, 24);
MSHV_ABI_SIZE(struct hv_input_translate_virtual_address, 32);
MSHV_ABI_SIZE(struct hv_output_translate_virtual_address, 16);
MSHV_ABI_SIZE(struct hv_input_assert_virtual_interrupt, 32);
MSHV_ABI_SIZE(struct hv_input_get_gpa_pages_access_state, 24);
MSHV_ABI_SIZE(struct hv_input_signal_event_direct, 16);
MSHV_ABI_SIZE(struct hv_input_post_message_direct, 280);
MSHV_ABI_OFFSET(struct hv_input_post_message_direct, message, 20);
MSHV_ABI_SIZE(struct hv_x64_intercept_message_header, 40);
MSHV_ABI_SIZE(struct hv_x64_io_port_intercept_message, 128);
MSHV_ABI_OFFSET(struct hv_x64_io_port_intercept_message, rax, 48);
MSHV_ABI_OFFSET(struct hv_x64_io_port_intercept_message, rcx, 104);
MSHV_ABI_SIZE(struct hv_x64_memory_intercept_message, 80);
MSHV_ABI_OFFSET(struct hv_x64_memory_intercept_message,
                guest_physical_address, 56);
MSHV_ABI_SIZE(struct hv_x64_cpuid_intercept_message, 104);
MSHV_ABI_SIZE(struct hv_x64_msr_intercept_message, 64);
MSHV_ABI_SIZE(struct hv_x64_exception_intercept_message, 240);
MSHV_ABI_SIZE(struct hv_x64_hypercall_intercept_message, 196);
MSHV_ABI_SIZE(struct hv_x64_interruption_deliverable_message, 48);
MSHV_ABI_SIZE(struct hv_synic_sint_deliverable_message, 48);
MSHV_ABI_SIZE(struct hv_x64_sipi_intercept_message, 48);
MSHV_ABI_OFFSET(struct hv_vp_register_page, rip, 136);
MSHV_ABI_OFFSET(struct hv_vp_register_page, xmm, 160);
MSHV_ABI_OFFSET(struct hv_vp_register_page, segment, 256);
MSHV_ABI_OFFSET(struct hv_vp_register_page, cr0, 352);
MSHV_ABI_OFFSET(struct hv_vp_register_page, xfem, 424);
MSHV_ABI_OFFSET(struct hv_vp_register_page, interrupt_vectors, 688);
MSHV_ABI_SIZE(struct hv_local_interrupt_controller_state, 176);
MSHV_ABI_SIZE(struct hv_synthetic_timers_state, 200);

#undef MSHV_ABI_SIZE
#undef MSHV_ABI_OFFSET

#endif /* HW_HYPERV_MSHV_ABI_H */
