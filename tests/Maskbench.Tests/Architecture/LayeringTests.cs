using System.Text.RegularExpressions;

namespace Maskbench.Tests.Architecture;

/// <summary>
/// Dependencies in the library point one way: a namespace may use its own layer and the layers below it, never one
/// above (docs/architecture.md draws the map). The check reads every source file of src/Maskbench, drops comments and
/// string literals, and collects the namespaces it names: <c>using Maskbench.X</c>, fully qualified names, and names
/// relative to an enclosing namespace (<c>Runtime.NoCollectionZone</c>) that resolve to a type of the library.
/// </summary>
public partial class LayeringTests
{
    /// <summary>Lowest first. A namespace belongs to the group of its longest listed prefix; every namespace must have one.</summary>
    static readonly string[][] Layers =
    [
        ["Maskbench", "Maskbench.Files", "Maskbench.Runtime", "Maskbench.Progress"],
        ["Maskbench.Kernels"],
        ["Maskbench.Data", "Maskbench.Data.Store", "Maskbench.Data.Images", "Maskbench.Data.Coco", "Maskbench.Data.Mnist"],
        ["Maskbench.Masks", "Maskbench.Masks.ColorModel", "Maskbench.Masks.MaxFlow"],
        ["Maskbench.Data.Gtsrb"],        // builds GTSRB-IC: reads GTSRB, segments with Masks, writes a store
        ["Maskbench.Data.Synthetic"],    // writes roots in the GTSRB layout
        ["Maskbench.Models"],
        ["Maskbench.Batching"],
        ["Maskbench.Attacks"],
        // One layer: the learned masker trains with the trainer's schedules and run folders, and joint training
        // trains a masker with the classifier.
        ["Maskbench.Training", "Maskbench.Masks.Learned"],
        ["Maskbench.Masks.Sources"],     // which masks a model sees: none, the dataset's, random twins, a masker's
        ["Maskbench.Evaluation", "Maskbench.Evaluation.Pipeline"],
        ["Maskbench.Reports"],
        ["Maskbench.Experiments", "Maskbench.Experiments.Mnist"],
        ["Maskbench.Cli"],
    ];

    [Fact]
    public void No_namespace_of_the_library_uses_a_layer_above_its_own()
    {
        var sources = Directory.EnumerateFiles(Path.Combine(RepositoryRoot(), "src", "Maskbench"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}")
            && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"))
            .ToList();
        Assert.True(sources.Count > 100, $"found only {sources.Count} sources");
        var problems = sources.SelectMany(f => Violations(Path.GetFileName(f), File.ReadAllText(f))).ToList();
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    /// <summary>The check itself finds an upward reference in each form it reads, and accepts downward ones.</summary>
    [Theory]
    [InlineData("using Maskbench.Experiments;\nnamespace Maskbench.Data;\nclass A { }", true)]
    [InlineData("namespace Maskbench.Attacks;\nclass A { object B => Maskbench.Training.TrainingMode.Natural; }", true)]
    [InlineData("namespace Maskbench.Data.Gtsrb;\nclass A { object B => Synthetic.SyntheticGtsrb.Write; }", true)]
    [InlineData("namespace Maskbench.Masks;\nclass A { void B() => Learned.MaskerRun.Load(); }", true)]
    [InlineData("namespace Maskbench.Data;\nclass A { // using Maskbench.Experiments;\n string S = \"Maskbench.Reports.X\"; }", false)]
    [InlineData("namespace Maskbench.Batching;\nclass A { void B() => Masks.Dispose(); }", false)]   // a property named Masks
    [InlineData("using Maskbench.Data;\nnamespace Maskbench.Experiments;\nclass A { object B => Runtime.NoCollectionZone.Enter(); }", false)]
    public void The_check_sees_upward_references_in_every_form(string source, bool upward)
    {
        Assert.Equal(upward, Violations("sample.cs", source).Any());
    }

    static IEnumerable<string> Violations(string file, string source)
    {
        string code = WithoutCommentsAndStrings(source);
        var ns = NamespaceDeclaration().Match(code);
        if (!ns.Success) yield break;
        string own = ns.Groups[1].Value;
        int ownLayer = LayerOf(own) ?? throw new Xunit.Sdk.XunitException($"{file}: namespace {own} is in no layer; add it to LayeringTests.Layers");
        foreach (string used in NamespacesUsed(own, code))
        {
            int? layer = LayerOf(used);
            if (layer is null) yield return $"{file}: {own} uses {used}, which is in no layer";
            else if (layer > ownLayer) yield return $"{file}: {own} (layer {ownLayer}) uses {used} (layer {layer})";
        }
    }

    static IEnumerable<string> NamespacesUsed(string own, string code)
    {
        var found = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match m in QualifiedName().Matches(code))
        {
            string name = m.Value;
            if (name.StartsWith("Maskbench.", StringComparison.Ordinal) || name == "Maskbench")
            {
                if (NamespaceOf(name) is { } n) found.Add(n);
                else if (IsOutsideTheLibrary(name) is { } other) found.Add(other);
                continue;
            }
            // A name relative to the file's namespace or one enclosing it; it counts only where it names a library type.
            for (string scope = own; scope.Length > 0; scope = scope.Contains('.') ? scope[..scope.LastIndexOf('.')] : "")
            {
                if (TypeNamespace(scope + "." + name) is { } n) { found.Add(n); break; }
                if (!scope.Contains('.')) break;
            }
        }
        found.Remove(own);
        return found;
    }

    /// <summary>A Maskbench.X name that is not in this assembly (the CLI's namespaces): its first two segments.</summary>
    static string? IsOutsideTheLibrary(string name)
    {
        var parts = name.Split('.');
        return parts.Length >= 2 && char.IsUpper(parts[1][0]) ? parts[0] + "." + parts[1] : null;
    }

    /// <summary>The namespace a fully qualified name lies in (longest namespace prefix), or null.</summary>
    static string? NamespaceOf(string name)
    {
        for (string n = name; ; n = n[..n.LastIndexOf('.')])
        {
            if (LibraryNamespaces.Contains(n)) return n;
            if (!n.Contains('.')) return null;
        }
    }

    /// <summary>The namespace of the library type that a prefix of <paramref name="name"/> names, or null.</summary>
    static string? TypeNamespace(string name)
    {
        for (string n = name; n.Contains('.'); n = n[..n.LastIndexOf('.')])
            if (LibraryTypes.TryGetValue(n, out var ns)) return ns;
        return null;
    }

    static int? LayerOf(string ns)
    {
        int? best = null;
        int bestLength = -1;
        for (int i = 0; i < Layers.Length; i++)
            foreach (string prefix in Layers[i])
                if ((ns == prefix || ns.StartsWith(prefix + ".", StringComparison.Ordinal)) && prefix.Length > bestLength)
                    (best, bestLength) = (i, prefix.Length);
        return best;
    }

    static readonly Dictionary<string, string> LibraryTypes = typeof(MaskbenchException).Assembly.GetTypes()
        .Where(t => t.Namespace is not null && !t.Name.Contains('<'))
        .GroupBy(t => t.FullName!.Replace('+', '.').Split('`')[0])
        .ToDictionary(g => g.Key, g => g.First().Namespace!);

    static readonly HashSet<string> LibraryNamespaces = [.. LibraryTypes.Values];

    static string WithoutCommentsAndStrings(string source)
    {
        string s = BlockComment().Replace(source, " ");
        s = LineComment().Replace(s, "");
        s = VerbatimString().Replace(s, "\"\"");
        return StringLiteral().Replace(s, "\"\"");
    }

    static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Maskbench.slnx"))) return dir.FullName;
        throw new InvalidOperationException("no Maskbench.slnx above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"^\s*namespace\s+([\w.]+)", RegexOptions.Multiline)]
    private static partial Regex NamespaceDeclaration();

    [GeneratedRegex(@"(?<![\w.])[A-Z]\w*(?:\.[A-Z]\w*)+")]
    private static partial Regex QualifiedName();

    [GeneratedRegex(@"/\*.*?\*/", RegexOptions.Singleline)]
    private static partial Regex BlockComment();

    [GeneratedRegex(@"//[^\n]*")]
    private static partial Regex LineComment();

    [GeneratedRegex("@\"(?:[^\"]|\"\")*\"")]
    private static partial Regex VerbatimString();

    [GeneratedRegex(@"\$?""(?:[^""\\\n]|\\.)*""")]
    private static partial Regex StringLiteral();
}
