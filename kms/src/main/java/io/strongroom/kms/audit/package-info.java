/**
 * The KMS's audit trail as it is written: one {@link io.strongroom.kms.audit.AuditEvent} per API call, filled in
 * as the call proceeds and appended once at its end by {@link io.strongroom.kms.audit.AuditLog} as a CloudTrail
 * JSON line. Reading it back is {@code io.strongroom.kms.AuditTrail}.
 *
 * <p>Invariants: every call leaves exactly one record, written once at its end, whether it succeeded or not; the
 * file is append-only and created with mode 0600.
 *
 * <p>Dependencies: uses {@code kms.model} (the caller, the ciphertext blob's key id), {@code base}; never {@code
 * kms.store} or {@code kms.service} (ArchitectureTest keeps it so).
 */
@NullMarked
package io.strongroom.kms.audit;

import org.jspecify.annotations.NullMarked;
