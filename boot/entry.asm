; remora's entry points: the multiboot header (with the a.out kludge, so QEMU's
; -kernel and GRUB load the ELF64 file as a flat image), the PVH ELF note, and
; the 32-bit code both loaders jump to. It builds page tables that identity-map
; the first 4 GiB with 2 MiB pages, enters long mode and calls boot_main() in
; boot/boot.c. See docs/boot.md for the whole path.

%define MB_MAGIC      0x1BADB002
%define MB_FLAGS      0x00010003          ; page align | memory info | a.out kludge
%define XEN_ELFNOTE_PHYS32_ENTRY 18
%define BOOT_KIND_MULTIBOOT 1
%define BOOT_KIND_PVH       2

extern __image_start, __data_end, __bss_end
extern boot_main

section .multiboot
align 4
mb_header:
	dd MB_MAGIC
	dd MB_FLAGS
	dd -(MB_MAGIC + MB_FLAGS)
	dd mb_header                    ; header_addr
	dd __image_start                ; load_addr: file offset 0 lands here
	dd __data_end                   ; load_end_addr
	dd __bss_end                    ; bss_end_addr: loader zeroes up to here
	dd _start_multiboot             ; entry_addr

; XEN_ELFNOTE_PHYS32_ENTRY: the 32-bit physical entry a PVH loader jumps to.
section .note.Xen note alloc noexec
align 4
	dd 4                            ; namesz, "Xen\0"
	dd 4                            ; descsz
	dd XEN_ELFNOTE_PHYS32_ENTRY
	db "Xen", 0
	dd _start_pvh

section .boot.text progbits alloc exec nowrite
bits 32
global _start_multiboot, _start_pvh

; Multiboot: EAX = 0x2BADB002, EBX = multiboot_info.
_start_multiboot:
	cli
	mov edi, BOOT_KIND_MULTIBOOT
	mov esi, ebx
	mov edx, eax
	jmp start32

; PVH: EBX = hvm_start_info. No magic in EAX.
_start_pvh:
	cli
	mov edi, BOOT_KIND_PVH
	mov esi, ebx
	xor edx, edx

start32:
	mov [saved_kind], edi
	mov [saved_info], esi
	mov [saved_magic], edx
	mov esp, boot_stack_top
	cld

	; Long mode must exist: CPUID 0x80000001 EDX bit 29.
	mov eax, 0x80000000
	cpuid
	cmp eax, 0x80000001
	jb no_long_mode
	mov eax, 0x80000001
	cpuid
	bt edx, 29
	jnc no_long_mode

	; Zero the early tables, then identity-map 0..4 GiB with 2 MiB pages.
	mov edi, early_pml4
	mov ecx, (6 * 4096) / 4
	xor eax, eax
	rep stosd

	mov dword [early_pml4], early_pdpt + 0x3          ; present | writable
	mov eax, early_pd + 0x3
	mov ebx, early_pdpt
	mov ecx, 4
.pdpt:
	mov [ebx], eax
	add eax, 4096
	add ebx, 8
	loop .pdpt

	mov ebx, early_pd                                  ; 2048 entries, 4 tables
	mov eax, 0x83                                      ; present | writable | 2 MiB
	xor ebp, ebp                                       ; high dword of the entry
	mov ecx, 2048
.pd:
	mov [ebx], eax
	mov [ebx + 4], ebp
	add eax, 0x200000
	adc ebp, 0
	add ebx, 8
	loop .pd

	; CR4.PAE, CR3, EFER.LME, then CR0.PG: the order the SDM (vol. 3, 10.8.5) asks.
	mov eax, cr4
	or eax, 1 << 5
	mov cr4, eax
	mov eax, early_pml4
	mov cr3, eax
	mov ecx, 0xC0000080
	rdmsr
	or eax, 1 << 8
	wrmsr
	mov eax, cr0
	or eax, (1 << 31) | (1 << 0)
	mov cr0, eax

	lgdt [gdt64_ptr]
	jmp 0x08:long_mode

no_long_mode:
	mov esi, msg_no_lm
	mov dx, 0x3F8
.putc:
	lodsb
	test al, al
	jz .halt
	out dx, al
	jmp .putc
.halt:
	hlt
	jmp .halt

bits 64
long_mode:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	xor eax, eax
	mov fs, ax
	mov gs, ax
	mov rsp, boot_stack_top
	xor ebp, ebp                    ; ends the frame-pointer chain
	mov edi, [saved_kind]           ; 32-bit loads zero-extend
	mov esi, [saved_info]
	mov edx, [saved_magic]
	call boot_main
.hang:
	cli
	hlt
	jmp .hang

section .rodata
msg_no_lm: db "remora: this CPU has no long mode", 13, 10, 0

align 8
gdt64:
	dq 0
	dq 0x00AF9A000000FFFF           ; 0x08: 64-bit code, ring 0
	dq 0x00CF92000000FFFF           ; 0x10: data, ring 0
gdt64_ptr:
	dw $ - gdt64 - 1
	dq gdt64

section .data
align 4
saved_kind:  dd 0
saved_info:  dd 0
saved_magic: dd 0

section .bss
align 4096
early_pml4: resb 4096
early_pdpt: resb 4096
early_pd:   resb 4 * 4096
global boot_stack_top
boot_stack: resb 16384
boot_stack_top:
