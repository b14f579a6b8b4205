# remora — one Makefile. `make` builds build/remora; `make run` boots it;
# `make check` runs every test. The QEMU command lines live in tests/qemu-run.

.DEFAULT_GOAL := all

CC      := gcc
LD      := ld
NASM    := nasm
MUSL    := /usr/lib/x86_64-linux-musl
MUSL_INC := /usr/include/x86_64-linux-musl
PYTHON  := python3

# Kernel C: freestanding (compiler headers first, then musl's for
# <string.h>), no SSE (applications own the vector registers), no red zone
# (the kernel builds no frames below rsp), frame pointers kept for the panic
# backtrace. `=`, not `:=`: the compiler's include path is asked for when
# first used, after build/.setup has installed gcc on a fresh machine.
CFLAGS   = -std=gnu11 -O2 -g -Wall -Wextra -Werror -ffreestanding -fno-common -MD \
           -nostdinc -isystem $(shell $(CC) -print-file-name=include) -isystem $(MUSL_INC) -I. \
           -fno-pie -mcmodel=small -mno-red-zone -mgeneral-regs-only \
           -fno-stack-protector -fno-omit-frame-pointer -fno-asynchronous-unwind-tables
NASMFLAGS := -f elf64 -g -F dwarf
# String functions come from musl's libc.a (only the members the kernel
# references are pulled in; tools/check-image verifies none uses SSE).
LDFLAGS := -nostdlib -static -z max-page-size=0x1000 --no-warn-rwx-segments -z noexecstack -T linker.ld
LIBS    := $(MUSL)/libc.a

BOOT_SRCS := boot/boot.c
BOOT_ASMS := boot/entry.asm
KERNEL_SRCS := \
	kernel/main.c \
	kernel/console.c \
	kernel/kprintf.c \
	kernel/panic.c \
	kernel/ksyms.c \
	kernel/cmdline.c \
	kernel/pmm.c \
	kernel/mem.c \
	kernel/pt.c \
	kernel/vm.c \
	kernel/heap.c \
	kernel/cpu.c \
	kernel/trap.c \
	kernel/acpi.c \
	kernel/apic.c \
	kernel/irq.c \
	kernel/clock.c \
	kernel/rtc.c \
	kernel/power.c \
	kernel/selftest.c \
	kernel/random.c
KERNEL_ASMS := kernel/trap_entry.asm
PCI_SRCS := \
	drivers/pci/pci.c \
	drivers/pci/pci_cfg.c \
	drivers/pci/pci_bar.c \
	drivers/pci/pci_cap.c

VIRTIO_SRCS := \
	drivers/virtio/virtio_pci.c \
	drivers/virtio/virtq.c \
	drivers/virtio/virtio_fs.c \
	drivers/virtio/virtio_rng.c
FS_SRCS := \
	fs/vfs.c \
	fs/namei.c \
	fs/vnode.c \
	fs/mount.c \
	fs/devfs.c \
	fs/pcache.c \
	fs/virtiofs/fuse_check.c \
	fs/virtiofs/fuse_conn.c \
	fs/virtiofs/virtiofs.c \
	fs/virtiofs/vcache.c \
	fs/virtiofs/dax.c \
	fs/virtiofs/vdax.c

LIBC_SRCS := \
	libc/start.c \
	libc/fd.c \
	libc/sys_fs.c \
	libc/sys_mem.c \
	libc/sys_misc.c
LIBC_ASMS := libc/syscall_entry.asm libc/vdso/vdso_image.asm

SRCS := $(BOOT_SRCS) $(KERNEL_SRCS) $(PCI_SRCS) $(VIRTIO_SRCS) $(FS_SRCS) $(LIBC_SRCS)
ASMS := $(BOOT_ASMS) $(KERNEL_ASMS) $(LIBC_ASMS)
OBJS := $(SRCS:%.c=build/%.o) $(ASMS:%.asm=build/%.o) build/libc/syscall_names.o

# The system-call name table, generated from musl's list of numbers.
build/libc/syscall_names.c: $(MUSL_INC)/bits/syscall.h tools/syscall-names.sh | build/.setup
	@mkdir -p $(dir $@)
	$(Q)tools/syscall-names.sh $< > $@
build/libc/syscall_names.o: build/libc/syscall_names.c
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

# The vDSO (docs/libc.md): a shared object the program calls for the clock,
# built with the kernel's flags but position-independent, and carried in the
# image as data. The linker script refuses data, GOT or relocations.
VDSO_CFLAGS = $(filter-out -fno-pie -mcmodel=small,$(CFLAGS)) -fPIC
build/libc/vdso/vdso.o: libc/vdso/vdso.c | build/.setup
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(VDSO_CFLAGS) -c $< -o $@
build/libc/vdso/vdso.so: build/libc/vdso/vdso.o libc/vdso/vdso.lds
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(LD) -shared -nostdlib --hash-style=sysv -soname=linux-vdso.so.1 -z max-page-size=4096 \
		-z noexecstack --no-undefined -T libc/vdso/vdso.lds $< -o $@
build/libc/vdso/vdso_image.o: build/libc/vdso/vdso.so

# ---- The application (docs/libc.md) ----
# `make APP=X` links program X into the image: X is a .c file, a directory
# (every .c in it), or .o/.a files; compiled with musl-gcc as a static PIE
# (rcrt1.o relocates it wherever the kernel loads it). CFLAGS_APP and
# LDLIBS_APP pass flags; IMAGE=path copies the result there.
APP ?= $(if $(wildcard apps/hello/*.c),apps/hello)
IMAGE ?= build/remora
MUSL_CC := musl-gcc
CFLAGS_APP ?= -O2
LDLIBS_APP ?=
APP_SRCS := $(foreach a,$(APP),$(if $(filter %.c,$(a)),$(a),$(if $(filter %.o %.a,$(a)),,$(sort $(wildcard $(a)/*.c)))))
APP_PRE := $(filter %.o %.a,$(APP))
# Objects under build/app/, named after their full path so apps outside the
# tree and files with one name in two directories cannot collide.
app_obj = build/app/$(subst /,_,$(subst ..,__,$(abspath $(1:.c=.o))))
APP_OBJS := $(foreach s,$(APP_SRCS),$(call app_obj,$(s)))
APP_NAME := $(if $(APP),$(notdir $(patsubst %/,%,$(basename $(firstword $(APP))))))
APP_BLOB := $(if $(APP),build/app/app_blob.o)

# Rebuild when what is asked for changes.
APP_CONFIG := $(APP) | $(CFLAGS_APP) | $(LDLIBS_APP)
build/app/config: FORCE | build/.setup
	@mkdir -p build/app
	@echo '$(APP_CONFIG)' | cmp -s - $@ || echo '$(APP_CONFIG)' > $@
FORCE:

define app_compile
$(call app_obj,$(1)): $(1) build/app/config
	@mkdir -p build/app
	@$$(if $$(Q),echo "  APPCC   $(1)")
	$$(Q)$$(MUSL_CC) -fPIE $$(CFLAGS_APP) -MD -c $(1) -o $$@
endef
$(foreach s,$(APP_SRCS),$(eval $(call app_compile,$(s))))

build/app/app.elf: $(APP_OBJS) $(APP_PRE) build/app/config
	@$(if $(Q),echo "  APPLD   $@")
	$(Q)$(CC) -static-pie -nostdlib -nostartfiles -Wl,--no-dynamic-linker -L$(MUSL) \
		$(MUSL)/rcrt1.o $(MUSL)/crti.o $$($(CC) -print-file-name=crtbeginS.o) \
		$(APP_OBJS) $(APP_PRE) $(LDLIBS_APP) $(MUSL)/libc.a $$($(CC) -print-libgcc-file-name) \
		$(MUSL)/libc.a $$($(CC) -print-file-name=crtendS.o) $(MUSL)/crtn.o -o $@
# The image carries the program without symbols or debug information
# (build/app/app.elf keeps them, for gdb).
build/app/app.stripped: build/app/app.elf
	$(Q)objcopy --strip-all $< $@
build/app/app_blob.asm: build/app/config
	@mkdir -p build/app
	@printf 'section .app alloc noexec nowrite align=4096\nglobal app_image, app_image_end, app_name\napp_image: incbin "build/app/app.stripped"\napp_image_end:\napp_name: db "%s", 0\n' '$(APP_NAME)' > $@
build/app/app_blob.o: build/app/app_blob.asm build/app/app.stripped
	$(Q)$(NASM) $(NASMFLAGS) $< -o $@

.PHONY: all iso run check unit fuzz setup clean FORCE
all: $(IMAGE) $(if $(filter build/remora,$(IMAGE)),build/remora-pvh build/remora-test)

# `make V=1` shows the full commands.
ifneq ($(V),1)
Q := @
endif

build/%.o: %.c | build/.setup
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

build/%.o: %.asm | build/.setup
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  NASM    $<")
	$(Q)$(NASM) $(NASMFLAGS) -MD $(@:.o=.d) $< -o $@

# Two links: the first gives the function addresses, the second embeds them
# (kernel/ksyms.c). .ksyms lies after text and data, so the addresses hold;
# tools/check-image proves it. build/remora-test is the same kernel with the
# in-guest test suites of tests/guest/ linked in (tests/fs/run-tests boots it).
GUEST_TEST_SRCS := $(sort $(wildcard tests/guest/*.c))
GUEST_TEST_OBJS := $(GUEST_TEST_SRCS:%.c=build/%.o)

build/%.ksyms.o: build/%.ksyms.asm
	$(Q)$(NASM) $(NASMFLAGS) $< -o $@
build/ksyms0.o: build/ksyms0.asm
	$(Q)$(NASM) $(NASMFLAGS) $< -o $@
build/ksyms0.asm: tools/ksyms.sh
	@mkdir -p build
	$(Q)tools/ksyms.sh > $@
build/%.ksyms.asm: build/%.pass1 tools/ksyms.sh
	$(Q)tools/ksyms.sh $< > $@
build/remora.pass1: $(OBJS) $(APP_BLOB) build/ksyms0.o linker.ld build/app/config
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(LD) $(LDFLAGS) -o $@ $(OBJS) $(APP_BLOB) build/ksyms0.o $(LIBS)
build/remora: $(OBJS) $(APP_BLOB) build/remora.ksyms.o linker.ld tools/check-image
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(LD) $(LDFLAGS) -o $@ $(OBJS) $(APP_BLOB) build/remora.ksyms.o $(LIBS)
	$(Q)tools/check-image build/remora.pass1 $@
# IMAGE=path: the same two-pass link straight into that file, leaving
# build/remora alone (intermediates under build/img/).
ifneq ($(IMAGE),build/remora)
IMG_TMP := build/img/$(notdir $(IMAGE))
$(IMG_TMP).pass1: $(OBJS) $(APP_BLOB) build/ksyms0.o linker.ld build/app/config
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(LD) $(LDFLAGS) -o $@ $(OBJS) $(APP_BLOB) build/ksyms0.o $(LIBS)
$(IMAGE): $(OBJS) $(APP_BLOB) $(IMG_TMP).ksyms.o linker.ld tools/check-image
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(LD) $(LDFLAGS) -o $@ $(OBJS) $(APP_BLOB) $(IMG_TMP).ksyms.o $(LIBS)
	$(Q)tools/check-image $(IMG_TMP).pass1 $@
endif
build/remora-test.pass1: $(OBJS) $(GUEST_TEST_OBJS) build/ksyms0.o linker.ld
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(LD) $(LDFLAGS) -o $@ $(OBJS) $(GUEST_TEST_OBJS) build/ksyms0.o $(LIBS)
build/remora-test: $(OBJS) $(GUEST_TEST_OBJS) build/remora-test.ksyms.o linker.ld tools/check-image
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(LD) $(LDFLAGS) -o $@ $(OBJS) $(GUEST_TEST_OBJS) build/remora-test.ksyms.o $(LIBS)
	$(Q)tools/check-image build/remora-test.pass1 $@

# The same image without the multiboot magic: QEMU then boots it by PVH.
build/remora-pvh: build/remora tools/mkpvh
	tools/mkpvh $< $@

iso: build/remora.iso
build/remora.iso: build/remora boot/grub.cfg
	rm -rf build/iso && mkdir -p build/iso/boot/grub
	cp build/remora build/iso/boot/remora
	cp boot/grub.cfg build/iso/boot/grub/grub.cfg
	grub-mkrescue -o $@ build/iso 2>build/grub-mkrescue.log || (cat build/grub-mkrescue.log; false)

# Installs what a fresh Debian 12 lacks (once; see tools/setup).
build/.setup: tools/setup
	tools/setup
	@mkdir -p build && touch $@
setup: build/.setup

# `make run`: the tiny shell (apps/sh) over demo-root/, through ./remora run.
# RUN_APP= runs another program; APPEND= adds kernel options (trace=fuse).
RUN_APP ?= apps/sh
run: | build/.setup
	$(MAKE) --no-print-directory APP=$(RUN_APP) IMAGE=build/run.img
	./remora run --share demo-root $(if $(APPEND),--options '$(APPEND)') build/run.img

check: | build/.setup
	$(MAKE) unit
	tools/syscall-doc --check
	$(MAKE) -C tests/fuzz check
	$(MAKE) build/remora build/remora-pvh build/remora.iso build/remora-test
	$(PYTHON) tests/boot/run-tests
	$(PYTHON) tests/fs/run-tests
	REMORA_APPS_REQUIRE=1 $(PYTHON) tests/apps/run-tests
	REMORA_POSIX_REQUIRE=1 $(PYTHON) tests/posix/run-tests
	REMORA_POSIX_REQUIRE=1 REMORA_POSIX_CACHE=auto $(PYTHON) tests/posix/run-tests
	REMORA_POSIX_REQUIRE=1 REMORA_POSIX_CACHE=always $(PYTHON) tests/posix/run-tests
	REMORA_POSIX_REQUIRE=1 REMORA_POSIX_CACHE=auto REMORA_POSIX_WRITEBACK=1 $(PYTHON) tests/posix/run-tests
	REMORA_SQLITE_REQUIRE=1 $(PYTHON) tests/sqlite/run-tests
	$(PYTHON) tests/dax-host/run-tests
	$(PYTHON) tests/dax/run-tests

# Longer fuzzing: FUZZ_TIME seconds per target (default 600).
fuzz: | build/.setup
	$(MAKE) -C tests/fuzz fuzz

unit: | build/.setup
	$(MAKE) -C tests/unit

clean:
	rm -rf build
	$(MAKE) -C tests/unit clean

-include $(OBJS:.o=.d) $(GUEST_TEST_OBJS:.o=.d) $(APP_OBJS:.o=.d) build/libc/vdso/vdso.d

# ---- make bench (bench/README.md): remora against a Linux guest, 9p and the
# host, one run, results in bench/results/. Never part of `make check`.
# BENCH_QUICK=1: the short run (1 s per test, under 5 minutes).
BENCH_QUICK ?=
.PHONY: bench
bench: | build/.setup
	$(PYTHON) bench/run $(if $(filter 1,$(BENCH_QUICK)),--quick) --dax-host "$$(tools/dax-host/build)"
