/*
 * Default /init for the ukl-opt boot check: print one marker line on the
 * console and power off. With QEMU's -no-reboot the reboot makes QEMU exit,
 * so a successful boot ends the emulator by itself (no ACPI needed).
 */
#include <stdio.h>
#include <sys/reboot.h>
#include <unistd.h>

int main(void)
{
    fputs("ukl-boot-ok\n", stdout);
    fflush(stdout);
    reboot(RB_AUTOBOOT);
    /* Only reached if reboot failed; returning from init then panics the kernel,
     * which the boot script reports as a failure. */
    perror("reboot");
    return 1;
}
