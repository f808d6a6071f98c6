/*
 * MSHV simulator, driver side: guest memory regions and the GPA access
 * bitmap.
 *
 * The hypervisor process is another process, so it cannot use our
 * address range as the kernel would; it maps the same file instead.  The
 * file is found through /proc/self/maps, which is why guest RAM must be
 * a shared file mapping (memfd, hugetlbfs, a shared file).
 *
 * Called with pt->lock held.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "preload.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

/* The end of user space as access_ok() sees it (x86-64, 4-level paging). */
#define USER_SPACE_END          0x00007ffffffff000ULL

struct MshvRegion {
    uint64_t start_gfn;
    uint64_t nr_pages;
    uint64_t uaddr;
};

/* ---- /proc/self/maps -------------------------------------------------- */

typedef struct MapLine {
    unsigned long start, end, off, ino;
    unsigned int dev_major, dev_minor;
    char perms[8];
    const char *path;           /* "" for anonymous memory */
} MapLine;

static char *read_text_file(const char *path)
{
    size_t cap = 64 * 1024, len = 0;
    char *buf = malloc(cap), *nbuf;
    ssize_t n;
    int fd;

    if (!buf) {
        return NULL;
    }
    fd = mshv_sys_open(path, O_RDONLY);
    if (fd < 0) {
        free(buf);
        return NULL;
    }
    for (;;) {
        if (cap - len < 4096) {
            cap *= 2;
            nbuf = realloc(buf, cap);
            if (!nbuf) {
                break;
            }
            buf = nbuf;
        }
        n = read(fd, buf + len, cap - len - 1);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        len += n;
    }
    mshv_sys_close(fd);
    buf[len] = '\0';
    return buf;
}

/* Parses one line in place (the path is cut at its end). */
static bool parse_map_line(char *line, MapLine *m)
{
    int pos = 0;

    if (sscanf(line, "%lx-%lx %7s %lx %x:%x %lu %n", &m->start, &m->end,
               m->perms, &m->off, &m->dev_major, &m->dev_minor, &m->ino,
               &pos) < 7) {
        return false;
    }
    m->path = line + pos;
    return true;
}

/* The mapping that contains @addr, from a parsed copy of the maps. */
static bool find_map(char *maps, uint64_t addr, MapLine *out, char **rest)
{
    char *line = maps, *nl;

    while (line && *line) {
        nl = strchr(line, '\n');
        if (nl) {
            *nl = '\0';
        }
        if (parse_map_line(line, out) && addr >= out->start &&
            addr < out->end) {
            *rest = nl ? nl + 1 : NULL;
            return true;
        }
        line = nl ? nl + 1 : NULL;
    }
    return false;
}

/* Why the range cannot be handed to the hypervisor process. */
typedef enum {
    BACKING_OK,
    BACKING_PRIVATE,
    BACKING_ANONYMOUS,
    BACKING_HOLE,
    BACKING_MIXED,
} BackingResult;

static const char *const backing_why[] = {
    [BACKING_PRIVATE] = "private (MAP_PRIVATE) memory",
    [BACKING_ANONYMOUS] = "anonymous memory",
    [BACKING_HOLE] = "not mapped throughout",
    [BACKING_MIXED] = "not one contiguous range of one file",
};

/*
 * Walk the mappings from @first on: [addr, addr + size) must be shared
 * mappings of one file at contiguous offsets.  *@off gets the file offset
 * of @addr.
 */
static BackingResult check_backing(const MapLine *first, char *rest,
                                   uint64_t addr, uint64_t size,
                                   uint64_t *off)
{
    uint64_t cur = addr, end = addr + size;
    MapLine m = *first;
    char *line = rest, *nl;

    *off = first->off + (addr - first->start);
    for (;;) {
        if (m.perms[3] != 's') {
            return BACKING_PRIVATE;
        }
        if (m.ino == 0) {
            return BACKING_ANONYMOUS;
        }
        if (m.dev_major != first->dev_major ||
            m.dev_minor != first->dev_minor || m.ino != first->ino ||
            m.off + (cur - m.start) != *off + (cur - addr)) {
            return BACKING_MIXED;
        }
        cur = m.end;
        if (cur >= end) {
            return BACKING_OK;
        }
        /* the next line must start where this one ends */
        do {
            if (!line || !*line) {
                return BACKING_HOLE;
            }
            nl = strchr(line, '\n');
            if (nl) {
                *nl = '\0';
            }
            if (!parse_map_line(line, &m)) {
                m.start = m.end = 0;
            }
            line = nl ? nl + 1 : NULL;
        } while (m.end <= cur);
        if (m.start != cur) {
            return BACKING_HOLE;
        }
    }
}

static bool same_inode(int fd, const MapLine *m)
{
    struct stat st;

    return fstat(fd, &st) == 0 && st.st_ino == m->ino &&
           major(st.st_dev) == m->dev_major &&
           minor(st.st_dev) == m->dev_minor;
}

/* An fd of ours already open on the file (a memfd has no path). */
static int find_open_fd(const MapLine *m)
{
    char path[64];
    struct dirent *d;
    DIR *dir;
    int fd, ret = -1;

    dir = opendir("/proc/self/fd");
    if (!dir) {
        return -1;
    }
    while (ret < 0 && (d = readdir(dir)) != NULL) {
        fd = atoi(d->d_name);
        if (d->d_name[0] < '0' || d->d_name[0] > '9' || fd == dirfd(dir) ||
            !same_inode(fd, m)) {
            continue;
        }
        /* a fresh open of the same file, read-write whatever fd had */
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        ret = mshv_sys_open(path, O_RDWR);
    }
    closedir(dir);
    return ret;
}

/*
 * An O_RDWR fd on the file behind mapping @m.  /proc/self/map_files needs
 * CAP_SYS_ADMIN (or CAP_CHECKPOINT_RESTORE); without it, the path if it
 * is still the same file, else one of our open fds on it.
 */
static int open_backing_file(const MapLine *m)
{
    static const char deleted[] = " (deleted)";
    size_t plen = strlen(m->path);
    char path[64];
    int fd;

    snprintf(path, sizeof(path), "/proc/self/map_files/%lx-%lx",
             m->start, m->end);
    fd = mshv_sys_open(path, O_RDWR);
    if (fd >= 0) {
        return fd;
    }
    if (m->path[0] == '/' &&
        (plen < sizeof(deleted) - 1 ||
         strcmp(m->path + plen - (sizeof(deleted) - 1), deleted) != 0)) {
        fd = mshv_sys_open(m->path, O_RDWR);
        if (fd >= 0 && same_inode(fd, m)) {
            return fd;
        }
        if (fd >= 0) {
            mshv_sys_close(fd);
        }
    }
    return find_open_fd(m);
}

/* ---- MSHV_SET_GUEST_MEMORY ------------------------------------------- */

static int region_add(MshvPartition *pt, const MshvRegion *r)
{
    if (pt->nr_regions == pt->regions_cap) {
        size_t cap = pt->regions_cap ? pt->regions_cap * 2 : 16;
        MshvRegion *n = realloc(pt->regions, cap * sizeof(*n));

        if (!n) {
            return -ENOMEM;
        }
        pt->regions = n;
        pt->regions_cap = cap;
    }
    pt->regions[pt->nr_regions++] = *r;
    return 0;
}

static long unmap_region(MshvPartition *pt,
                         const struct mshv_user_mem_region *mem)
{
    MshvSimHeader req = { .op = MSHV_SIM_OP_UNMAP_GPA };
    MshvSimHeader rep;
    MshvRegion *r = NULL;
    size_t i;

    /* looked up by the region containing guest_pfn, then all must match */
    for (i = 0; i < pt->nr_regions; i++) {
        r = &pt->regions[i];
        if (mem->guest_pfn >= r->start_gfn &&
            mem->guest_pfn - r->start_gfn < r->nr_pages) {
            break;
        }
    }
    if (i == pt->nr_regions) {
        return -ENOENT;
    }
    if (r->uaddr != mem->userspace_addr || r->start_gfn != mem->guest_pfn ||
        r->nr_pages != mem->size / MSHV_HV_PAGE_SIZE) {
        return -EINVAL;
    }
    pt->regions[i] = pt->regions[--pt->nr_regions];

    /* cannot fail in the driver once the region is off the list */
    req.arg[0] = mem->guest_pfn;
    req.arg[1] = mem->size;
    mshv_partition_call(pt, pt->chan, &req, NULL, 0, NULL, 0, &rep, NULL, 0);
    return 0;
}

static long map_region(MshvPartition *pt,
                       const struct mshv_user_mem_region *mem)
{
    MshvSimHeader req = { .op = MSHV_SIM_OP_MAP_GPA };
    MshvSimHeader rep;
    MshvRegion r = {
        .start_gfn = mem->guest_pfn,
        .nr_pages = mem->size / MSHV_HV_PAGE_SIZE,
        .uaddr = mem->userspace_addr,
    };
    uint64_t end = mem->userspace_addr + mem->size;
    BackingResult why;
    uint64_t off;
    MapLine first;
    char *maps, *rest;
    int fd, ret;

    if (end < mem->userspace_addr || end > USER_SPACE_END) {
        return -EINVAL;
    }
    maps = read_text_file("/proc/self/maps");
    if (!maps) {
        return -ENOMEM;
    }
    if (!find_map(maps, mem->userspace_addr, &first, &rest)) {
        free(maps);
        return -EINVAL;
    }
    /* only GPAs may not overlap (userspace overlap is fine since 6.19) */
    for (size_t i = 0; i < pt->nr_regions; i++) {
        const MshvRegion *o = &pt->regions[i];

        if (r.start_gfn + r.nr_pages > o->start_gfn &&
            o->start_gfn + o->nr_pages > r.start_gfn) {
            free(maps);
            return -EEXIST;
        }
    }

    why = check_backing(&first, rest, mem->userspace_addr, mem->size, &off);
    if (why != BACKING_OK) {
        mshv_log("guest memory 0x%llx-0x%llx (guest frame 0x%llx) is %s; "
                 "the simulator needs guest RAM in shared file mappings: "
                 "run QEMU with -object memory-backend-memfd,id=ram0,"
                 "size=<guest RAM>,share=on -machine memory-backend=ram0,"
                 "aux-ram-share=on (aux-ram-share makes ROMs and other RAM "
                 "blocks shared too)",
                 (unsigned long long)mem->userspace_addr,
                 (unsigned long long)end - 1,
                 (unsigned long long)mem->guest_pfn, backing_why[why]);
        free(maps);
        return -EINVAL;
    }
    fd = open_backing_file(&first);
    if (fd < 0) {
        mshv_log("guest memory 0x%llx-0x%llx: cannot open the file behind "
                 "it (%s)", (unsigned long long)mem->userspace_addr,
                 (unsigned long long)end - 1,
                 first.path[0] ? first.path : "no path");
        free(maps);
        return -EINVAL;
    }
    free(maps);
    /* Pages past the file's end cannot be pinned: EFAULT, as in Linux. */
    {
        struct stat st;

        if (fstat(fd, &st) < 0 || (uint64_t)st.st_size < off ||
            (uint64_t)st.st_size - off < mem->size) {
            mshv_sys_close(fd);
            return -EFAULT;
        }
    }

    req.arg[0] = mem->guest_pfn;
    req.arg[1] = mem->size;
    req.arg[2] = off;
    req.arg[3] = mem->flags;
    ret = mshv_partition_call(pt, pt->chan, &req, NULL, 0, &fd, 1,
                              &rep, NULL, 0);
    mshv_sys_close(fd);
    if (ret >= 0) {
        ret = mshv_hv_status_to_errno(rep.arg[0]);
    }
    if (ret < 0) {
        return ret;
    }
    ret = region_add(pt, &r);
    if (ret < 0) {
        /* keep the hypervisor's view in step with ours */
        req.op = MSHV_SIM_OP_UNMAP_GPA;
        req.arg[2] = req.arg[3] = 0;
        mshv_partition_call(pt, pt->chan, &req, NULL, 0, NULL, 0,
                            &rep, NULL, 0);
    }
    return ret;
}

long mshv_ioctl_set_guest_memory(MshvPartition *pt, uint64_t arg)
{
    struct mshv_user_mem_region mem;

    if (mshv_copy_from_user(&mem, arg, sizeof(mem)) < 0) {
        return -EFAULT;
    }
    if (!mem.size || !MSHV_PAGE_ALIGNED(mem.size) ||
        !MSHV_PAGE_ALIGNED(mem.userspace_addr) ||
        (mem.flags & ~MSHV_SET_MEM_FLAGS_MASK)) {
        return -EINVAL;
    }
    for (size_t i = 0; i < sizeof(mem.rsvd); i++) {
        if (mem.rsvd[i]) {
            return -EINVAL;
        }
    }
    if (mem.flags & (1u << MSHV_SET_MEM_BIT_UNMAP)) {
        return unmap_region(pt, &mem);
    }
    return map_region(pt, &mem);
}

void mshv_memory_free(MshvPartition *pt)
{
    free(pt->regions);
    pt->regions = NULL;
    pt->nr_regions = pt->regions_cap = 0;
}

/* ---- MSHV_GET_GPAP_ACCESS_BITMAP ------------------------------------- */

long mshv_ioctl_get_gpap_access_bitmap(MshvPartition *pt, uint64_t arg)
{
    struct mshv_gpap_access_bitmap args;
    MshvSimHeader req = { .op = MSHV_SIM_OP_GPA_ACCESS_STATES };
    MshvSimHeader rep;
    uint8_t states[MSHV_GPAP_BATCH_PAGES];
    uint64_t flags, done = 0, bytes;
    uint8_t mask, *bitmap;
    long ret = 0;
    int n;

    if (mshv_copy_from_user(&args, arg, sizeof(args)) < 0) {
        return -EFAULT;
    }
    if (args.access_type >= MSHV_GPAP_ACCESS_TYPE_COUNT ||
        args.access_op >= MSHV_GPAP_ACCESS_OP_COUNT ||
        args.rsvd[0] || args.rsvd[1] || args.rsvd[2] || args.rsvd[3] ||
        args.rsvd[4] || args.rsvd[5] ||
        !args.page_count || !args.bitmap_ptr) {
        return -EINVAL;
    }

    /* Only CLEAR is tested: NOOP sets, like SET (the driver's quirk). */
    if (args.access_type == MSHV_GPAP_ACCESS_TYPE_ACCESSED) {
        mask = HV_GPA_PAGE_ACCESS_STATE_ACCESSED;
        flags = args.access_op == MSHV_GPAP_ACCESS_OP_CLEAR
                ? HV_GPA_PAGE_ACCESS_CLEAR_ACCESSED |
                  HV_GPA_PAGE_ACCESS_CLEAR_DIRTY
                : HV_GPA_PAGE_ACCESS_SET_ACCESSED;
    } else {
        mask = HV_GPA_PAGE_ACCESS_STATE_DIRTY;
        flags = args.access_op == MSHV_GPAP_ACCESS_OP_CLEAR
                ? HV_GPA_PAGE_ACCESS_CLEAR_DIRTY
                : HV_GPA_PAGE_ACCESS_SET_DIRTY |
                  HV_GPA_PAGE_ACCESS_SET_ACCESSED;
    }

    bytes = args.page_count / 8 + (args.page_count % 8 != 0);
    bitmap = calloc(1, bytes);
    if (!bitmap) {
        return -ENOMEM;
    }
    while (done < args.page_count) {
        uint64_t count = args.page_count - done;

        if (count > MSHV_GPAP_BATCH_PAGES) {
            count = MSHV_GPAP_BATCH_PAGES;
        }
        req.arg[0] = args.gpap_base + done;
        req.arg[1] = count;
        req.arg[2] = flags;
        n = mshv_partition_call(pt, pt->chan, &req, NULL, 0, NULL, 0,
                                &rep, states, count);
        if (n < 0) {
            ret = n;
            break;
        }
        ret = mshv_hv_status_to_errno(rep.arg[0]);
        if (ret < 0) {
            break;
        }
        if (n == 0) {
            /* success without progress would loop forever */
            ret = mshv_partition_died(pt, -EPROTO);
            break;
        }
        for (int i = 0; i < n; i++, done++) {
            if (states[i] & mask) {
                bitmap[done / 8] |= 1u << (done % 8);
            }
        }
    }
    /* a failed batch leaves the caller's bitmap untouched */
    if (ret == 0 && mshv_copy_to_user(args.bitmap_ptr, bitmap, bytes) < 0) {
        ret = -EFAULT;
    }
    free(bitmap);
    return ret;
}
