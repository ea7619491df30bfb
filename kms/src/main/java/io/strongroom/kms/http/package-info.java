/**
 * The KMS's HTTP face: the JSON 1.1 TrentService endpoint, which also answers in-process callers ({@code
 * KmsServer.call}). SigV4 verification is the shared one in {@code io.strongroom.aws}.
 */
@NullMarked
package io.strongroom.kms.http;

import org.jspecify.annotations.NullMarked;
