/**
 * The KMS's operations: {@link io.strongroom.kms.service.KmsService} is the entry point (it knows nothing of HTTP)
 * and hands each request to the class for its part of the API: keys' lifecycle, crypto, public keys, rotation,
 * aliases, grants and key policies, all working on the in-memory {@link io.strongroom.kms.service.KmsState} under
 * the quotas of {@link io.strongroom.kms.service.KmsQuotas}, after the checks of {@link
 * io.strongroom.kms.service.KeyChecks} (key state, key policy, grants).
 *
 * <p>Invariants: the operation classes never take the lock or save: {@code KmsService.call} takes the one
 * read-write lock around them (the write lock for every change) and saves the whole state through the store before
 * a change is answered; every call leaves one audit record.
 *
 * <p>Dependencies: uses {@code kms.model}, {@code kms.store} and {@code kms.audit}; none of them uses it
 * (ArchitectureTest keeps it so).
 */
@NullMarked
package io.strongroom.kms.service;

import org.jspecify.annotations.NullMarked;
