/*
 * Guest program: put the standard VGA (QEMU's -vga std, Bochs VBE) into a
 * 640x480x32 linear framebuffer mode and paint it once, then return: the
 * guest idles with a graphics screen, as a desktop guest does, for the
 * dirty-tracking benchmark (tests/bench: "VGA guest idle").  Without a
 * driver for the device, so through its ports and its BAR 0 in sysfs.
 *
 *   vga-fb [PCI-ADDRESS]      default 0000:00:02.0 (pc and q35)
 *
 * Prints "vga-fb: 640x480x32 at 0xADDR".
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/io.h>
#include <sys/mman.h>
#include <unistd.h>

#define VBE_DISPI_IOPORT_INDEX  0x1ce
#define VBE_DISPI_IOPORT_DATA   0x1cf
#define VBE_DISPI_INDEX_ID      0
#define VBE_DISPI_INDEX_XRES    1
#define VBE_DISPI_INDEX_YRES    2
#define VBE_DISPI_INDEX_BPP     3
#define VBE_DISPI_INDEX_ENABLE  4
#define VBE_DISPI_ENABLED       0x01
#define VBE_DISPI_LFB_ENABLED   0x40
#define VBE_DISPI_ID0           0xb0c0

#define XRES    640
#define YRES    480

static void dispi_write(uint16_t index, uint16_t value)
{
    outw(index, VBE_DISPI_IOPORT_INDEX);
    outw(value, VBE_DISPI_IOPORT_DATA);
}

static uint16_t dispi_read(uint16_t index)
{
    outw(index, VBE_DISPI_IOPORT_INDEX);
    return inw(VBE_DISPI_IOPORT_DATA);
}

int main(int argc, char **argv)
{
    const char *dev = argc > 1 ? argv[1] : "0000:00:02.0";
    char path[128];
    uint64_t start = 0, end = 0, flags;
    volatile uint32_t *fb;      /* device memory: every store must land */
    FILE *f;
    int fd;

    /* a word at the data port spans 0x1cf-0x1d0 */
    if (ioperm(VBE_DISPI_IOPORT_INDEX, 3, 1) < 0) {
        perror("vga-fb: ioperm");
        return 1;
    }
    if ((dispi_read(VBE_DISPI_INDEX_ID) & 0xfff0) != VBE_DISPI_ID0) {
        fprintf(stderr, "vga-fb: no Bochs VBE interface\n");
        return 1;
    }
    snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource", dev);
    f = fopen(path, "r");
    if (!f || fscanf(f, "%" SCNx64 " %" SCNx64 " %" SCNx64,
                     &start, &end, &flags) != 3 || !start) {
        fprintf(stderr, "vga-fb: no BAR 0 in %s\n", path);
        return 1;
    }
    fclose(f);

    dispi_write(VBE_DISPI_INDEX_ENABLE, 0);
    dispi_write(VBE_DISPI_INDEX_XRES, XRES);
    dispi_write(VBE_DISPI_INDEX_YRES, YRES);
    dispi_write(VBE_DISPI_INDEX_BPP, 32);
    dispi_write(VBE_DISPI_INDEX_ENABLE,
                VBE_DISPI_ENABLED | VBE_DISPI_LFB_ENABLED);

    snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource0", dev);
    fd = open(path, O_RDWR | O_SYNC);
    fb = fd < 0 ? MAP_FAILED : mmap(NULL, XRES * YRES * 4,
                                    PROT_READ | PROT_WRITE, MAP_SHARED,
                                    fd, 0);
    if (fb == MAP_FAILED) {
        perror("vga-fb: mapping BAR 0");
        return 1;
    }
    for (unsigned y = 0; y < YRES; y++) {
        for (unsigned x = 0; x < XRES; x++) {
            fb[y * XRES + x] = (x * 255 / XRES) << 16 | (y * 255 / YRES) << 8;
        }
    }
    printf("vga-fb: %ux%ux32 at 0x%" PRIx64 "\n", XRES, YRES, start);
    return 0;
}
