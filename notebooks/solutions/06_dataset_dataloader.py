# Solutions to the exercises of notebooks/06_dataset_dataloader.ipynb (make solutions fills them in).

# %% exercise 06.1
# Exercise 06.1: parse one line of data.list into (relative path, label id)
def parse_line(line):
    path, label = line.rstrip("\n").split("\t")
    return path, int(label)

# %% exercise 06.2
# Exercise 06.2: write __getitem__ of a Dataset over (image path, label id) pairs
class FileDataset(Dataset):
    def __init__(self, samples, size=(28, 28)):
        self.samples, self.size = samples, size  # [(path, label id)], (H, W)

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, index):
        path, label = self.samples[index]
        image = Image.open(path).convert("L").resize((self.size[1], self.size[0]))  # PIL sizes are (W, H)
        x = torch.from_numpy(np.array(image)).float().div(255).unsqueeze(0)  # (1, H, W) in [0, 1]
        return x, torch.tensor(label, dtype=torch.float32)

# %% exercise 06.3
# Exercise 06.3: turn a binary model's (B, 1) output into (B,) logits, the shape of the labels
def to_logits(output):
    return output.squeeze(1)
