/*
 * BAR decoding (PCI Local Bus 3.0, 6.2.5.1), pure so that tests/unit decodes
 * recorded config spaces on the host. Sizing is done by the caller: write all
 * ones to a BAR, read it back (`mask`), restore the value (`val`).
 */
#pragma once

#include <stdint.h>

#include "drivers/pci/pci.h"

/* Decode nbars BARs (6 for a type-0 header, 2 for a bridge) from their
 * values and their all-ones read-backs. A 64-bit BAR takes two slots; its
 * upper slot is PCI_BAR_NONE. A 64-bit BAR in the last slot is malformed and
 * decoded as NONE. Returns the number of implemented BARs. */
int pci_bar_decode(const uint32_t val[], const uint32_t mask[], int nbars, struct pci_bar out[]);

/* "io", "mem32" or "mem64". */
const char *pci_bar_kind_name(enum pci_bar_kind k);
