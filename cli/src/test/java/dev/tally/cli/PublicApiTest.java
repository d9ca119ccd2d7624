package dev.tally.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Tally's main code uses Kafka's public API: no class of every Tally module on this classpath (the cli
 * depends on all of them) refers to a Kafka Streams {@code internals} package, except the
 * {@code dev.tally.topology.compat} package, and none extends a Kafka client class (they are not
 * meant for subclassing, and Kafka Streams may bypass a supplied one). Read from the class files'
 * constant pools, so a reference through a method signature or a field type counts as well as an
 * import.
 */
class PublicApiTest {

  private static final String STREAMS = "org/apache/kafka/streams/";
  private static final String COMPAT = "dev/tally/topology/compat/";
  private static final Set<String> CLIENT_CLASSES = Set.of(
      "org/apache/kafka/clients/consumer/KafkaConsumer",
      "org/apache/kafka/clients/producer/KafkaProducer",
      "org/apache/kafka/clients/admin/KafkaAdminClient");

  @Test
  void mainCodeUsesNoKafkaStreamsInternalsOutsideCompatAndExtendsNoKafkaClient() throws IOException {
    List<Path> modules = tallyModules();
    TreeMap<String, Set<String>> internals = new TreeMap<>();
    List<String> subclasses = new ArrayList<>();
    Set<String> compatInternals = new TreeSet<>();
    int classes = 0;
    for (Path module : modules) {
      for (ClassFile file : classFiles(module)) {
        classes++;
        Set<String> used = new TreeSet<>();
        for (String constant : file.utf8) {
          used.addAll(streamsInternals(constant));
        }
        if (file.name.startsWith(COMPAT)) {
          compatInternals.addAll(used);
        } else if (!used.isEmpty()) {
          internals.put(file.name, used);
        }
        if (CLIENT_CLASSES.contains(file.superName)) {
          subclasses.add(file.name + " extends " + file.superName);
        }
      }
    }
    assertTrue(modules.size() >= 8, "too few Tally modules on the classpath to be a test: " + modules);
    assertTrue(classes > 200, "too few classes to be a test: " + classes);
    assertTrue(!compatInternals.isEmpty(), "the scan found no internals even in compat: it is broken");
    assertEquals(new TreeMap<>(), internals,
        "Kafka Streams internals outside dev.tally.topology.compat (by class)");
    assertEquals(List.of(), subclasses, "subclasses of Kafka's clients");
  }

  /** Kafka Streams internal classes named in one constant (a class name or a descriptor). */
  private static Set<String> streamsInternals(String constant) {
    Set<String> found = new TreeSet<>();
    for (int at = constant.indexOf(STREAMS); at >= 0; at = constant.indexOf(STREAMS, at + 1)) {
      int end = at;
      while (end < constant.length() && constant.charAt(end) != ';' && constant.charAt(end) != '<'
          && constant.charAt(end) != ')') {
        end++;
      }
      String name = constant.substring(at, end);
      if (name.contains("/internals/")) {
        found.add(name.replace('/', '.'));
      }
    }
    return found;
  }

  /** The classpath entries of Tally's own modules: their classes directories or jars. */
  private static List<Path> tallyModules() {
    List<Path> modules = new ArrayList<>();
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      Path path = Path.of(entry);
      String name = path.getFileName() == null ? "" : path.getFileName().toString();
      boolean classesDir = Files.isDirectory(path) && name.equals("classes")
          && !path.toString().contains("test-classes");
      boolean jar = name.startsWith("tally-") && name.endsWith(".jar");
      if (classesDir || jar) {
        modules.add(path);
      }
    }
    return modules;
  }

  private static List<ClassFile> classFiles(Path module) throws IOException {
    List<ClassFile> files = new ArrayList<>();
    if (Files.isDirectory(module)) {
      try (Stream<Path> walk = Files.walk(module)) {
        for (Path path : walk.filter(p -> p.toString().endsWith(".class")).toList()) {
          files.add(ClassFile.read(Files.readAllBytes(path)));
        }
      }
      return files;
    }
    try (JarFile jar = new JarFile(module.toFile())) {
      for (Enumeration<JarEntry> entries = jar.entries(); entries.hasMoreElements(); ) {
        JarEntry entry = entries.nextElement();
        if (entry.getName().endsWith(".class")) {
          try (InputStream in = jar.getInputStream(entry)) {
            files.add(ClassFile.read(in.readAllBytes()));
          }
        }
      }
    }
    return files;
  }

  /** What a class file's constant pool says: its name, its superclass and every UTF-8 constant. */
  private record ClassFile(String name, String superName, List<String> utf8) {

    static ClassFile read(byte[] bytes) {
      try {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes));
        in.readInt(); // magic
        in.readUnsignedShort(); // minor
        in.readUnsignedShort(); // major
        int count = in.readUnsignedShort();
        String[] strings = new String[count];
        int[] classNameIndex = new int[count];
        for (int i = 1; i < count; i++) {
          int tag = in.readUnsignedByte();
          switch (tag) {
            case 1 -> strings[i] = in.readUTF();
            case 7 -> classNameIndex[i] = in.readUnsignedShort();
            case 8, 16, 19, 20 -> in.readUnsignedShort();
            case 15 -> {
              in.readUnsignedByte();
              in.readUnsignedShort();
            }
            case 3, 4, 9, 10, 11, 12, 17, 18 -> in.readInt();
            case 5, 6 -> {
              in.readLong();
              i++; // takes two entries
            }
            default -> throw new IllegalStateException("constant pool tag " + tag);
          }
        }
        in.readUnsignedShort(); // access flags
        int self = in.readUnsignedShort();
        int superClass = in.readUnsignedShort();
        List<String> utf8 = new ArrayList<>();
        for (String string : strings) {
          if (string != null) {
            utf8.add(string);
          }
        }
        return new ClassFile(strings[classNameIndex[self]],
            superClass == 0 ? null : strings[classNameIndex[superClass]], utf8);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
