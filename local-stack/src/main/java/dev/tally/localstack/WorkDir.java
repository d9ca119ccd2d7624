package dev.tally.localstack;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * The directory a server writes into, and whether the server owns it.
 *
 * <p>One rule for every server of the stack: a directory the caller gives is the caller's and is
 * kept on close (its contents survive for a restart or a post-mortem); no directory ({@code null})
 * means a fresh temporary one under {@code java.io.tmpdir} that close deletes.
 */
public final class WorkDir {

  private final Path path;
  private final boolean owned;

  private WorkDir(Path path, boolean owned) {
    this.path = path;
    this.owned = owned;
  }

  /** The caller's directory (created if missing), or a new temporary one when {@code given} is null. */
  static WorkDir of(Path given, String tempPrefix) {
    try {
      if (given == null) {
        return new WorkDir(Files.createTempDirectory(tempPrefix).toAbsolutePath(), true);
      }
      return new WorkDir(Files.createDirectories(given).toAbsolutePath(), false);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot create the directory " + (given == null ? tempPrefix + "*" : given), e);
    }
  }

  Path path() {
    return path;
  }

  /** A subdirectory, created if missing. */
  Path subdirectory(String name) {
    try {
      return Files.createDirectories(path.resolve(name));
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot create " + path.resolve(name), e);
    }
  }

  /** Deletes the directory if this object created it; leaves a caller's directory alone. */
  void release() {
    if (owned) {
      deleteRecursively(path);
    }
  }

  /** Deletes a directory tree, ignoring files that are already gone. */
  public static void deleteRecursively(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try {
      Files.walkFileTree(root, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
          deleteIfExists(file);
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
          if (e instanceof NoSuchFileException) {
            return FileVisitResult.CONTINUE;
          }
          throw e;
        }

        @Override
        public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
          deleteIfExists(dir);
          return FileVisitResult.CONTINUE;
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot delete " + root, e);
    }
  }

  private static void deleteIfExists(Path path) throws IOException {
    Files.deleteIfExists(path);
  }

  @Override
  public String toString() {
    return path + (owned ? " (temporary)" : "");
  }
}
