/**
 * The AWS request plumbing both AWS-compatible endpoints share (the KMS API in {@code kms}, the Redshift API in
 * {@code control}): {@link io.strongroom.aws.SigV4} verification and signing, which fails with its own typed {@link
 * io.strongroom.aws.SigV4Exception}; the access keys ({@link io.strongroom.aws.Credential}, {@link
 * io.strongroom.aws.CredentialStore}); and the HTTP server set-up with its limits ({@link io.strongroom.aws.ApiHttpServer}, request bodies, body
 * deadlines).
 * Depends on {@code base} only (ArchitectureTest); knows no API of either endpoint.
 */
@NullMarked
package io.strongroom.aws;

import org.jspecify.annotations.NullMarked;
