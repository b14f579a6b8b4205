; The vDSO's ELF file (libc/vdso/vdso.c, linked by the Makefile into
; build/libc/vdso/vdso.so), carried in the kernel image; libc/start.c copies
; it out for each program start and passes it as AT_SYSINFO_EHDR.

section .rodata progbits alloc noexec nowrite align=16
global vdso_image, vdso_image_end
vdso_image:
	incbin "build/libc/vdso/vdso.so"
vdso_image_end:
