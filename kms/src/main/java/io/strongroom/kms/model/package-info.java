/**
 * The KMS's data model: a key ({@link io.strongroom.kms.model.KmsKey}) with its state, material versions, policy
 * and grants; aliases; the caller a request was signed by; the self-describing ciphertext blob; the asymmetric key
 * specs; and the error the KMS API answers with ({@link io.strongroom.kms.model.KmsApiException}).
 *
 * <p>Invariants: a key's material versions are 1, 2, ... with the last one current, and are never dropped, so
 * every ciphertext made under the key still decrypts; nothing here does I/O, and nothing that holds key material
 * shows it in {@code toString}.
 *
 * <p>Dependencies: the bottom of the KMS's packages: it uses {@code crypto} and {@code base} only, never {@code
 * kms.store}, {@code kms.audit} or {@code kms.service}, which use it (ArchitectureTest keeps it so).
 */
@NullMarked
package io.strongroom.kms.model;

import org.jspecify.annotations.NullMarked;
