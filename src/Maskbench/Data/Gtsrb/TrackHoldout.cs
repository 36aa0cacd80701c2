namespace Maskbench.Data.Gtsrb;

/// <summary>
/// Holds out a test split from training records by whole tracks: all images of one physical sign (one class and
/// track, GTSRB Readme-Images.txt) land on the same side, so a model is never tested on a sign it was trained on.
/// Per class, tracks are shuffled with a seed and taken until the class's share is reached; at least one track of
/// every class with two or more tracks is held out, and at least one stays in training.
/// </summary>
public static class TrackHoldout
{
    public static (List<GtsrbRecord> Train, List<GtsrbRecord> Test) Split(IReadOnlyList<GtsrbRecord> records, double fraction, int seed)
    {
        var held = new HashSet<GtsrbRecord>(ReferenceEqualityComparer.Instance);
        foreach (var byClass in records.GroupBy(r => r.ClassId).OrderBy(g => g.Key))
        {
            // Records without a track name are tracks of their own.
            var tracks = byClass.GroupBy(r => r.Track is int t ? $"t{t}" : "f" + r.FileName)
                .OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => g.ToList())
                .ToArray();
            if (tracks.Length < 2) continue;
            new Random(DerivedSeed.Of(seed, 0x7E57, byClass.Key)).Shuffle(tracks);
            double target = fraction * byClass.Count();
            int taken = 0;
            for (int i = 0; i < tracks.Length - 1 && (i == 0 || taken + tracks[i].Count / 2.0 <= target); i++)
            {
                foreach (var r in tracks[i]) held.Add(r);
                taken += tracks[i].Count;
            }
        }
        return (records.Where(r => !held.Contains(r)).ToList(), records.Where(held.Contains).ToList());
    }
}
