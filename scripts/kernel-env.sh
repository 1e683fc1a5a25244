# kernel-env.sh — sourced by kernel-build.sh and relink-bzimage.sh: the
# arguments of every make on the kernel tree.
#
# The build identity is fixed (Documentation/kbuild/reproducible-builds.rst).
# Otherwise every relink bumps the build number and timestamp in the version
# string, so the same vmlinux.o never gives the same bzImage twice, and the
# version string seeds the guest's RNG: a rebuilt image would pick other ports
# and TCP state, and measure differently.
KERNEL_MAKE_ARGS=(
    LLVM=-19
    KBUILD_BUILD_VERSION=1
    KBUILD_BUILD_TIMESTAMP="Thu Jan 1 00:00:00 UTC 2026"
    KBUILD_BUILD_USER=ukl-opt
    KBUILD_BUILD_HOST=ukl-opt
)
