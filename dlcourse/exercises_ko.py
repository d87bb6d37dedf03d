"""The Korean catalog of the exercise feedback: English template -> Korean template.

Keys are the templates of `NotYet(...)` and `Text(...)` in exercises.py, word for word; the
values keep the same `{placeholders}` (numbers, shapes and code are filled in as they are).
Korean reads in 합니다체 with the course's terms (see the glossary). A template missing here
prints in English; tests/test_exercises.py names every template without a Korean entry, and
every entry whose English is gone.
"""

KO: dict[str, str] = {
    # -- check() and summary(), and the helpers every checker uses --
    "fill in the blank: replace the `...` in the cell above, then run both cells":
        "빈칸을 채워 보세요. 위 셀의 `...` 자리에 코드를 쓴 다음, 두 셀을 다시 실행하세요.",
    "Exercise {ex_id}: correct.":
        "연습 문제 {ex_id}: 정답입니다.",
    "Exercise {ex_id}: not yet. {hint}":
        "연습 문제 {ex_id}: 아직 정답이 아닙니다. {hint}",
    "Exercise {ex_id}: not yet. Your code raised {error}: {message}":
        "연습 문제 {ex_id}: 아직 정답이 아닙니다. 작성한 코드를 실행하다가 {error} 예외가 발생했습니다. {message}",
    "Exercises correct: {passed} of {total} (not yet: {todo})":
        "연습 문제 {total}개 중 {passed}개를 맞혔습니다. 아직 남은 문제: {todo}",
    "Exercises correct: {passed} of {total}":
        "연습 문제 {total}개 중 {passed}개를 맞혔습니다.",
    "expected a function, got {got}":
        "함수를 넘겨야 하는데 지금은 {got}입니다.",
    "your function returns nothing yet: replace the `...` with code that returns the answer":
        "함수가 아직 아무것도 반환하지 않습니다. `...` 자리에 답을 반환하는 코드를 쓰세요.",
    "your answer":
        "답",
    "{name} should be a tensor, got {got}":
        "{name}의 타입이 {got}입니다. 텐서여야 합니다.",
    "{name} should be a whole number (an int), got {got!r}":
        "{name}의 값이 {got!r}입니다. 정수(int)여야 합니다.",
    "the shape is {got}, expected {want}. {hint}":
        "결과의 모양(shape)이 {got}입니다. {want} 모양이어야 합니다. {hint}",

    # -- 01 model concept --
    "return two numbers, the pair (dL/dw, dL/db)":
        "두 값을 (dL/dw, dL/db) 쌍으로 반환하세요.",
    "close: the derivative of a square brings down a factor 2":
        "거의 다 왔습니다. 제곱을 미분하면 앞에 2가 곱해집니다.",
    "the sign is flipped: the gap is (w * x + b - y), prediction minus truth":
        "부호가 반대입니다. 차이는 예측값에서 정답을 뺀 (w * x + b - y)입니다.",
    "the loss is a mean: divide the sum by N (or use .mean())":
        "손실은 평균입니다. 합을 N으로 나누세요(또는 .mean()을 쓰세요).",
    "dL/dw is 2 * mean((w*x + b - y) * x), as in grad_by_hand":
        "grad_by_hand에서처럼 dL/dw는 2 * mean((w*x + b - y) * x)입니다.",
    "dL/db is 2 * mean(w*x + b - y): the chain rule gives a factor 1 for b, not x":
        "dL/db는 2 * mean(w*x + b - y)입니다. 연쇄 법칙에서 b 쪽에 곱해지는 값은 x가 아니라 1입니다.",
    "you stepped uphill: subtract lr * gradient, do not add it":
        "오르막으로 이동했습니다. lr * 기울기를 더하지 말고 빼세요.",
    "multiply the gradient by the learning rate lr before subtracting it":
        "기울기를 빼기 전에 학습률 lr을 곱하세요.",
    "the new w is w - lr * grad_by_hand(w, x, y)":
        "새 w는 w - lr * grad_by_hand(w, x, y)입니다.",
    "give the class itself (not an instance), a subclass of nn.Module":
        "객체(인스턴스)가 아니라 nn.Module을 상속한 클래스 자체를 넘기세요.",
    "declare self.w and self.b in __init__, each wrapped in nn.Parameter so PyTorch trains them":
        "__init__에서 self.w와 self.b를 각각 nn.Parameter로 감싸 선언하세요. 그래야 PyTorch가 학습합니다.",
    "start both w and b at 0, with torch.zeros(1)":
        "w와 b 모두 torch.zeros(1)로 0에서 시작하세요.",
    "forward forgets the bias: return self.w * x + self.b":
        "forward에서 편향이 빠졌습니다. self.w * x + self.b를 반환하세요.",
    "forward should return self.w * x + self.b, of shape (N,)":
        "forward는 모양이 (N,)인 self.w * x + self.b를 반환해야 합니다.",
    "the sign: logs of probabilities are negative, so put a minus in front":
        "부호를 확인하세요. 확률의 로그는 음수이므로 앞에 마이너스를 붙여야 합니다.",
    "the loss is a mean over the examples, not a sum":
        "손실은 샘플들의 합이 아니라 평균입니다.",
    "compare with the formula: -mean(y * log(p) + (1 - y) * log(1 - p))":
        "공식 -mean(y * log(p) + (1 - y) * log(1 - p))와 비교해 보세요.",

    # -- 02 nn.Linear and stacking --
    "close, but the bias is missing: add b":
        "거의 맞았지만 편향이 빠졌습니다. b를 더하세요.",
    "compare with nn.Linear: x @ W.T + b":
        "nn.Linear가 계산하는 x @ W.T + b와 비교해 보세요.",
    "return a network (an nn.Module such as nn.Sequential), got {got}":
        "신경망(nn.Sequential 같은 nn.Module)을 반환하세요. 지금은 {got}입니다.",
    "it has {got} parameters, expected {want}: nn.Linear(n_in, hidden), then nn.Linear(hidden, n_out)":
        "파라미터가 {want}개여야 하는데 {got}개입니다. nn.Linear(n_in, hidden) 다음에 nn.Linear(hidden, n_out)을 두세요.",
    "the network's output":
        "신경망 출력",
    "for 16 inputs the output shape is {got}, expected (16, 2)":
        "입력 16개에 대한 출력의 모양이 {got}입니다. (16, 2) 모양이어야 합니다.",
    "your stack is still linear: put an nn.ReLU() between the two layers":
        "쌓은 층이 아직 선형입니다. 두 층 사이에 nn.ReLU()를 넣으세요.",
    "return a pair (W, b): the weight and the bias of the merged layer":
        "합친 층의 가중치와 편향을 (W, b) 쌍으로 반환하세요.",
    "the merged weight is W2 @ W1 (in that order: the second layer acts last)":
        "합친 가중치는 W2 @ W1입니다. 두 번째 층이 나중에 적용되므로 순서에 주의하세요.",
    "close: the merged bias also needs the second layer's own bias, + b2":
        "거의 다 왔습니다. 합친 편향에는 두 번째 층의 편향도 더해야 합니다(+ b2).",
    "the merged bias is W2 @ b1 + b2":
        "합친 편향은 W2 @ b1 + b2입니다.",

    # -- 03 MLP image classifier --
    "keep the batch dimension: flatten from dim 1 on, to shape (B, 784)":
        "배치 차원은 그대로 두세요. 1번 차원부터 펼쳐서 (B, 784) 모양으로 만드세요.",
    "each row should be one image's 784 pixels, row after row: images.flatten(start_dim=1)":
        "각 행에는 이미지 한 장의 픽셀 784개가 윗줄부터 차례로 들어가야 합니다. images.flatten(start_dim=1)을 써 보세요.",
    "return the loss as a plain number, loss.item(), got {got}":
        "손실을 loss.item()으로 꺼낸 파이썬 숫자로 반환하세요. 지금은 {got}입니다.",
    "call optimizer.zero_grad() before loss.backward(): otherwise the old gradients add up":
        "loss.backward() 전에 optimizer.zero_grad()를 호출하세요. 그러지 않으면 이전 기울기가 계속 더해집니다.",
    "the weights did not change: zero_grad, then backward, then optimizer.step()":
        "가중치가 바뀌지 않았습니다. zero_grad, backward, optimizer.step() 순서로 호출하세요.",
    "the order is: loss, optimizer.zero_grad(), loss.backward(), optimizer.step()":
        "순서는 loss, optimizer.zero_grad(), loss.backward(), optimizer.step()입니다.",
    "return the loss computed before the step, loss.item()":
        "step 전에 계산한 손실을 loss.item()으로 반환하세요.",
    "return one number, the fraction of correct predictions":
        "맞힌 예측의 비율을 숫자 하나로 반환하세요.",
    "that is the number of correct predictions: divide it by the number of examples":
        "그 값은 맞힌 개수입니다. 전체 샘플 수로 나누세요.",
    "the prediction is the class with the largest logit, logits.argmax(dim=1); compare it with y":
        "예측은 로짓이 가장 큰 클래스, 즉 logits.argmax(dim=1)입니다. 이것을 y와 비교하세요.",
    "return one number, the mean loss, got {got}":
        "평균 손실을 숫자 하나로 반환하세요. 지금은 {got}입니다.",
    "call model.eval() before the loop: in train mode some layers change as they see data":
        "반복문 전에 model.eval()을 호출하세요. 학습 모드에서는 데이터를 볼 때마다 상태가 바뀌는 층이 있습니다.",
    "evaluate inside `with torch.no_grad():`, and return loss.item() values":
        "`with torch.no_grad():` 안에서 평가하고, loss.item() 값으로 계산해 반환하세요.",
    "weight each batch's loss by its size, then divide by the number of examples (the last batch is smaller)":
        "배치마다 손실에 배치 크기를 곱해 더한 다음, 전체 샘플 수로 나누세요(마지막 배치는 더 작습니다).",
    "add up loss.item() * len(y) over the batches, then divide by the number of examples":
        "배치마다 loss.item() * len(y)를 더한 다음, 전체 샘플 수로 나누세요.",

    # -- 04 parameter explosion --
    "for {sizes} you counted the weights only: each nn.Linear(a, b) also has b biases":
        "{sizes}에서 가중치만 셌습니다. nn.Linear(a, b)마다 편향도 b개 있습니다.",
    "one bias per output of a layer, not per input: nn.Linear(a, b) has b biases":
        "편향은 층의 입력이 아니라 출력마다 하나입니다. nn.Linear(a, b)의 편향은 b개입니다.",
    "for {sizes} you get {got:,}, the layers hold {want:,}: nn.Linear(a, b) has a*b weights and b biases, "
    "for each pair of neighbouring sizes":
        "{sizes}에서 답은 {got:,}개인데, 실제 층의 파라미터는 {want:,}개입니다. "
        "이웃한 두 크기 a, b마다 nn.Linear(a, b)에 가중치 a*b개와 편향 b개가 있습니다.",
    "return a number of megabytes, got {got}":
        "메가바이트 수를 숫자로 반환하세요. 지금은 {got}입니다.",
    "that is millions of numbers, not megabytes: multiply by each parameter's bytes, p.element_size()":
        "그 값은 메가바이트가 아니라 숫자 개수(백만 단위)입니다. 파라미터마다 바이트 수 p.element_size()를 곱하세요.",
    "MB here means 10**6 bytes, not 2**20":
        "여기서 MB는 2**20이 아니라 10**6바이트입니다.",
    "this model holds float64 (8 bytes a number): use p.element_size() instead of 4":
        "이 모델은 float64(숫자 하나에 8바이트)입니다. 4 대신 p.element_size()를 쓰세요.",
    "add up p.numel() * p.element_size() over model.parameters(), then divide by 10**6":
        "model.parameters()의 p.numel() * p.element_size()를 모두 더한 다음 10**6으로 나누세요.",
    "biases are additions only, not multiply-adds: count one per weight":
        "편향은 덧셈만 하므로 곱셈-덧셈(multiply-add)이 아닙니다. 가중치 하나당 한 번씩 세세요.",
    "that is FLOPs (a multiply and an add each): count multiply-adds, one per weight":
        "그 값은 곱셈과 덧셈을 따로 센 FLOPs입니다. 곱셈-덧셈을 가중치 하나당 한 번씩 세세요.",
    "for {sizes} you get {got:,}, PyTorch's FLOP counter {want:,} multiply-adds: each weight is used once per image":
        "{sizes}에서 답은 {got:,}번인데, PyTorch의 FLOP 카운터로는 곱셈-덧셈이 {want:,}번입니다. "
        "이미지 한 장을 처리할 때 가중치는 각각 한 번씩 쓰입니다.",
    "add the biases: one per filter (out_channels)":
        "편향을 더하세요. 필터(out_channels)마다 하나씩입니다.",
    "each filter covers every input channel: in_channels x k x k weights per filter":
        "필터 하나는 모든 입력 채널에 걸쳐 있습니다. 필터마다 가중치가 in_channels x k x k개입니다.",
    "a k x k kernel holds k*k weights, not k":
        "k x k 커널의 가중치는 k개가 아니라 k*k개입니다.",
    "Conv2d({c_in}, {c_out}, {k}) holds {want:,}, you get {got:,}: "
    "out_channels x in_channels x k x k weights, plus out_channels biases":
        "Conv2d({c_in}, {c_out}, {k})의 파라미터는 {want:,}개인데 답은 {got:,}개입니다. "
        "가중치 out_channels x in_channels x k x k개에 편향 out_channels개를 더하세요.",

    # -- 05 CNN ideas --
    "PyTorch does not flip the kernel: multiply each window by the weights as they are":
        "PyTorch는 커널을 뒤집지 않습니다. 각 윈도에 가중치를 그대로 곱하세요.",
    "add the bias: bias[o] once to every output of channel o":
        "편향을 더하세요. 채널 o의 모든 출력에 bias[o]를 한 번씩 더합니다.",
    "sum over all input channels: the window is x[:, i:i+kh, j:j+kw]":
        "모든 입력 채널에 걸쳐 더하세요. 윈도는 x[:, i:i+kh, j:j+kw]입니다.",
    "output[o, i, j] = (window * weight[o]).sum() + bias[o], the window being all input channels "
    "at rows i..i+kh-1, columns j..j+kw-1":
        "output[o, i, j] = (window * weight[o]).sum() + bias[o]입니다. "
        "여기서 window는 모든 입력 채널의 i..i+kh-1행, j..j+kw-1열입니다.",
    "a window that does not fit whole is dropped: use // (floor division), not /":
        "끝까지 다 들어가지 않는 윈도는 버립니다. / 대신 //(나머지를 버리는 나눗셈)를 쓰세요.",
    "padding adds a border on both sides: 2 * padding":
        "패딩은 양쪽에 테두리를 붙이므로 2 * padding을 더합니다.",
    "count the first window position too: + 1":
        "첫 번째 윈도 위치도 세야 하므로 1을 더하세요.",
    "size {size}, kernel {kernel}, stride {stride}, padding {padding}: nn.Conv2d gives {want}, "
    "you get {got}; count how many times the window fits, moving by stride over the padded side":
        "크기 {size}, 커널 {kernel}, 스트라이드 {stride}, 패딩 {padding}에서 nn.Conv2d의 결과는 {want}인데 "
        "답은 {got}입니다. 패딩을 붙인 한 변 위에서 윈도를 stride만큼씩 옮기며 몇 번 들어가는지 세어 보세요.",
    "that is average pooling: keep the largest number of each window":
        "그 값은 평균 풀링의 결과입니다. 윈도마다 가장 큰 값을 남기세요.",
    "the windows overlap: move the window by `size` pixels, not by 1":
        "윈도가 겹칩니다. 윈도를 1이 아니라 `size` 픽셀씩 옮기세요.",
    "out[i, j] is the max of fmap[i*size:(i+1)*size, j*size:(j+1)*size]; a {shape} map with size {size} gives {want}":
        "out[i, j]는 fmap[i*size:(i+1)*size, j*size:(j+1)*size]의 최댓값입니다. "
        "{shape} 모양의 맵에서 size={size}이면 결과 모양은 {want}입니다.",

    # -- 06 Dataset and DataLoader --
    "return a pair (path, label id), got {got!r}":
        "(경로, 라벨 id) 쌍을 반환하세요. 지금은 {got!r}입니다.",
    "split on the TAB only, line.split('\\t'): file names may contain spaces":
        "파일 이름에 공백이 들어갈 수 있으니 line.split('\\t')처럼 TAB으로만 나누세요.",
    "turn the label id into a number: int(label)":
        "int(label)로 라벨 id를 숫자로 바꾸세요.",
    "the label id should be an int, got {got}":
        "라벨 id는 int여야 하는데 지금은 {got}입니다.",
    "for {line!r} expected ('Ankle boot/00042 copy.png', 9), got {got!r}":
        "{line!r}의 결과는 ('Ankle boot/00042 copy.png', 9)여야 하는데 지금은 {got!r}입니다.",
    "for 'T-shirt_top/00001.png\\t0\\n' expected ('T-shirt_top/00001.png', 0), got {got!r}":
        "'T-shirt_top/00001.png\\t0\\n'의 결과는 ('T-shirt_top/00001.png', 0)이어야 하는데 지금은 {got!r}입니다.",
    "pass the class itself (FileDataset), not {got}":
        "{got} 객체 말고 클래스 자체(FileDataset)를 넘기세요.",
    "len(ds) is {got} for {want} samples: __len__ returns len(self.samples)":
        "샘플이 {want}개인데 len(ds)가 {got}입니다. __len__은 len(self.samples)를 반환해야 합니다.",
    "__getitem__ returns nothing yet: replace the `...` with code that returns (image, label)":
        "__getitem__이 아직 아무것도 반환하지 않습니다. `...` 자리에 (image, label)을 반환하는 코드를 쓰세요.",
    "__getitem__ should return a pair (image, label), got {got}":
        "__getitem__은 (image, label) 쌍을 반환해야 하는데 지금은 {got}입니다.",
    "the image":
        "이미지",
    "the label":
        "라벨",
    "convert the image to one gray channel first: .convert('L')":
        "먼저 .convert('L')로 이미지를 흑백 채널 하나로 바꾸세요.",
    "add the channel dimension: the image should be (1, H, W), e.g. .unsqueeze(0)":
        "채널 차원을 추가하세요. 이미지는 (1, H, W) 모양이어야 합니다(예를 들어 .unsqueeze(0)).",
    "PIL sizes are (W, H): resize with image.resize((W, H)), i.e. (self.size[1], self.size[0])":
        "PIL의 크기는 (W, H) 순서입니다. image.resize((W, H)), 즉 (self.size[1], self.size[0])으로 크기를 바꾸세요.",
    "the image should have shape {want}, got {got}":
        "이미지의 모양이 {got}입니다. {want} 모양이어야 합니다.",
    "make the image a float tensor: .float()":
        ".float()로 이미지를 float 텐서로 바꾸세요.",
    "scale the pixels to [0, 1]: divide by 255":
        "255로 나누어 픽셀 값을 [0, 1] 범위로 맞추세요.",
    "sample {index} has other pixels than its file: open self.samples[index]'s path":
        "샘플 {index}의 픽셀이 파일과 다릅니다. self.samples[index]의 경로에 있는 파일을 여세요.",
    "turn the label into a float, torch.tensor(label, dtype=torch.float32): BCEWithLogitsLoss wants float targets":
        "BCEWithLogitsLoss는 float 타깃을 받으므로 torch.tensor(label, dtype=torch.float32)처럼 라벨을 float로 바꾸세요.",
    "the label of sample {index} should be the number {label}, got {got!r}":
        "샘플 {index}의 라벨이 {got!r}입니다. 숫자 {label} 값이어야 합니다.",
    "squeeze(1), not squeeze(): a batch of one image must stay shape (1,), not ()":
        "squeeze()가 아니라 squeeze(1)을 쓰세요. 이미지 한 장짜리 배치도 모양이 ()가 아니라 (1,)로 남아야 합니다.",
    "drop the size-1 dimension at position 1: output.squeeze(1)":
        "output.squeeze(1)로 1번 위치에 있는 크기 1인 차원을 없애세요.",

    # -- 07 transfer learning --
    "change the model you were given and return it: model.fc = ...; return model":
        "받은 모델을 직접 바꾸고(model.fc = ...) 그 모델을 반환하세요(return model).",
    "put a new layer in place: model.fc = nn.Linear(...)":
        "model.fc = nn.Linear(...)처럼 그 자리에 새 층을 넣으세요.",
    "model.fc should be an nn.Linear, got {got}":
        "model.fc는 nn.Linear여야 하는데 지금은 {got}입니다.",
    "the new layer has {got} outputs for num_classes={num_classes}: use num_classes, not a fixed number":
        "num_classes={num_classes}인데 새 층의 출력이 {got}개입니다. 고정된 숫자 대신 num_classes를 쓰세요.",
    "{name}'s fc takes {want} inputs, the new one {got}: take them from model.fc.in_features":
        "{name}의 fc는 입력을 {want}개 받는데 새 층은 {got}개를 받습니다. 입력 수는 model.fc.in_features에서 가져오세요.",
    "keep the bias: nn.Linear(in_features, num_classes)":
        "편향은 그대로 두세요. nn.Linear(in_features, num_classes)면 됩니다.",
    "change only model.fc: the backbone keeps what it learned":
        "model.fc만 바꾸세요. 나머지 부분(백본)은 학습한 것을 그대로 간직해야 합니다.",
    "keep model.fc trainable: freeze only the parameters outside it":
        "model.fc는 학습되게 두고, 그 밖의 파라미터만 고정하세요.",
    "nothing was frozen: set p.requires_grad = False for every parameter outside model.fc":
        "아무것도 고정되지 않았습니다. model.fc 밖의 모든 파라미터에 p.requires_grad = False를 설정하세요.",
    "fc's bias is frozen too: keep all of model.fc's parameters trainable":
        "fc의 편향까지 고정되었습니다. model.fc의 파라미터는 모두 학습되게 두세요.",
    "only fc.weight and fc.bias should stay trainable, got {got}{more}":
        "fc.weight와 fc.bias만 학습되어야 하는데 지금은 {got}{more}입니다.",
    "that counts every parameter: count only those with p.requires_grad":
        "모든 파라미터를 셌습니다. p.requires_grad인 것만 세세요.",
    "that counts tensors: add up the numbers in each one, p.numel()":
        "텐서의 개수를 셌습니다. 텐서마다 들어 있는 숫자의 개수 p.numel()을 더하세요.",
    "that counts fc alone: go over all of model.parameters() and keep those with requires_grad":
        "fc만 셌습니다. model.parameters() 전체를 돌면서 requires_grad인 것을 모두 세세요.",
    "expected {want:,} trainable numbers here, got {got!r}: sum p.numel() where p.requires_grad":
        "학습되는 숫자가 {want:,}개여야 하는데 답은 {got!r}입니다. p.requires_grad인 p마다 p.numel()을 더하세요.",
    "return one number, got a tensor of shape {shape}: use argmax(dim=1)":
        "숫자 하나를 반환하세요. 지금은 모양이 {shape}인 텐서입니다. argmax(dim=1)을 쓰세요.",
    "return a number, got {got}":
        "숫자를 반환하세요. 지금은 {got}입니다.",
    "that is the accuracy: the error rate is the fraction that is wrong, 1 - accuracy":
        "그 값은 정확도입니다. 오차율은 틀린 비율, 즉 1 - 정확도입니다.",
    "that is the number of mistakes: divide by the number of images":
        "그 값은 틀린 개수입니다. 이미지 수로 나누세요.",
    "the predicted class is logits.argmax(dim=1); compare it with labels and take the mean of != ":
        "예측한 클래스는 logits.argmax(dim=1)입니다. 이것을 labels와 비교해 != 결과의 평균을 구하세요.",

    # -- three states, summary() again on the current answers, hint() and solution() (issue 27) --
    "Exercise {ex_id}: not tried yet. {hint}":
        "연습 문제 {ex_id}: 아직 풀지 않았습니다. {hint}",
    "Exercises correct: {passed} of {total} (not yet: {todo}; not tried: {blank})":
        "연습 문제 {total}개 중 {passed}개를 맞혔습니다. 아직 정답이 아닌 문제: {todo}. 아직 풀지 않은 문제: {blank}",
    "Exercises correct: {passed} of {total} (not tried: {blank})":
        "연습 문제 {total}개 중 {passed}개를 맞혔습니다. 아직 풀지 않은 문제: {blank}",
    "Hint {n} of {total} for {ex_id}: {hint}":
        "연습 문제 {ex_id}의 힌트 {n}/{total}: {hint}",
    "{line} (the last hint; solution(\"{ex_id}\") shows the answer)":
        "{line} (마지막 힌트입니다. solution(\"{ex_id}\")를 실행하면 답을 볼 수 있습니다.)",
    "A solution to exercise {ex_id} (yours may differ and still be right):":
        "연습 문제 {ex_id}의 모범 답안입니다 (여러분의 답은 달라도 맞을 수 있습니다):",
    "the network's outputs are never negative: no ReLU after the last layer, the scores come from nn.Linear":
        "신경망의 출력이 한 번도 음수가 아닙니다. 마지막 층 뒤에는 ReLU를 두지 마세요. 점수는 nn.Linear에서 바로 나와야 합니다.",
    # -- the hints, hint("NN.K") --
    "write the loss for one pair (w, b) and take its derivative in w, then in b; the chain rule brings down a factor 2 from the square":
        "(w, b) 한 쌍에 대한 손실을 쓰고 w로, 그다음 b로 미분해 보세요. 제곱을 미분하면 연쇄 법칙(chain rule)으로 2가 앞으로 나옵니다.",
    "with e = w * x + b - y, dL/dw = mean(2 * e * x) and dL/db = mean(2 * e)":
        "e = w * x + b - y라고 하면 dL/dw = mean(2 * e * x), dL/db = mean(2 * e)입니다.",
    "e = w * x + b - y; return (2 * e * x).mean(), (2 * e).mean()":
        "e = w * x + b - y로 두고 (2 * e * x).mean(), (2 * e).mean()을 반환하세요.",
    "gradient descent moves w against its gradient, a step of size lr":
        "경사 하강법(gradient descent)은 w를 기울기의 반대 방향으로, lr만큼의 크기로 움직입니다.",
    "return w - lr * grad_by_hand(w, x, y)":
        "w - lr * grad_by_hand(w, x, y)를 반환하세요.",
    "in __init__, self.w and self.b are each an nn.Parameter, so PyTorch knows to train them":
        "__init__에서 self.w와 self.b를 각각 nn.Parameter로 만들어야 PyTorch가 학습할 대상으로 압니다.",
    "self.w = nn.Parameter(torch.zeros(1)) and the same for self.b; forward returns the line":
        "self.w = nn.Parameter(torch.zeros(1))로 쓰고 self.b도 같게 만드세요. forward는 직선의 값을 반환합니다.",
    "forward(self, x) returns self.w * x + self.b":
        "forward(self, x)는 self.w * x + self.b를 반환합니다.",
    "each example adds -log of the probability given to its true label: p where y is 1, 1 - p where y is 0":
        "샘플마다 정답 라벨에 준 확률의 -log가 더해집니다. y가 1이면 p, y가 0이면 1 - p가 그 확률입니다.",
    "-(y * log(p) + (1 - y) * log(1 - p)), then the mean over the examples":
        "-(y * log(p) + (1 - y) * log(1 - p))를 구한 다음 샘플들에 대해 평균을 내세요.",
    "return -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()":
        "-(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()을 반환하세요.",
    "nn.Linear multiplies each row of x by the weight matrix, then adds the bias":
        "nn.Linear는 x의 각 행에 가중치 행렬을 곱한 다음 편향을 더합니다.",
    "W has shape (out, in): transpose it to multiply (B, in) by it":
        "W의 모양은 (out, in)입니다. (B, in)에 곱하려면 전치(transpose)해야 합니다.",
    "return x @ W.T + b":
        "x @ W.T + b를 반환하세요.",
    "nn.Sequential takes the layers in the order the data goes through them":
        "nn.Sequential에는 데이터가 지나가는 순서대로 층을 넣습니다.",
    "three layers: nn.Linear(n_in, hidden), nn.ReLU(), nn.Linear(hidden, n_out)":
        "층은 nn.Linear(n_in, hidden), nn.ReLU(), nn.Linear(hidden, n_out)의 세 개입니다.",
    "return nn.Sequential(nn.Linear(n_in, hidden), nn.ReLU(), nn.Linear(hidden, n_out))":
        "nn.Sequential(nn.Linear(n_in, hidden), nn.ReLU(), nn.Linear(hidden, n_out))을 반환하세요.",
    "write out W2 (W1 x + b1) + b2 and group what multiplies x and what does not":
        "W2 (W1 x + b1) + b2를 풀어 쓰고, x에 곱해지는 부분과 그렇지 않은 부분으로 묶어 보세요.",
    "the weight is W2 @ W1; the bias is what W2 makes of b1, plus b2":
        "가중치는 W2 @ W1입니다. 편향은 W2가 b1을 바꾼 값에 b2를 더한 것입니다.",
    "return W2 @ W1, W2 @ b1 + b2":
        "W2 @ W1, W2 @ b1 + b2를 반환하세요.",
    "keep dimension 0 (the batch) and merge all the others into one":
        "0번 차원(배치)은 그대로 두고 나머지 차원을 하나로 합치세요.",
    "images.flatten(start_dim=1), or images.reshape(len(images), -1)":
        "images.flatten(start_dim=1) 또는 images.reshape(len(images), -1)입니다.",
    "four steps in order: the loss, clear the old gradients, backward, the optimizer's step":
        "손실 계산, 이전 기울기 지우기, backward, 옵티마이저(optimizer)의 step, 이 네 단계를 차례로 합니다.",
    "optimizer.zero_grad() before loss.backward(): gradients add up otherwise":
        "loss.backward() 전에 optimizer.zero_grad()를 호출하세요. 그러지 않으면 기울기가 계속 더해집니다.",
    "loss = loss_fn(model(x), y); optimizer.zero_grad(); loss.backward(); optimizer.step(); return loss.item()":
        "loss = loss_fn(model(x), y); optimizer.zero_grad(); loss.backward(); optimizer.step(); return loss.item()",
    "the predicted class of each row is the index of its largest logit":
        "각 행의 예측 클래스는 가장 큰 로짓(logit)의 인덱스입니다.",
    "compare logits.argmax(dim=1) with y, then take the mean of the matches as floats":
        "logits.argmax(dim=1)을 y와 비교하고, 일치 여부를 실수로 바꿔 평균을 내세요.",
    "return (logits.argmax(dim=1) == y).float().mean().item()":
        "(logits.argmax(dim=1) == y).float().mean().item()을 반환하세요.",
    "model.eval() first and torch.no_grad() around the loop, as in the evaluation above":
        "위의 평가처럼 먼저 model.eval()을 호출하고 반복문을 torch.no_grad()로 감싸세요.",
    "batches may differ in size: add loss.item() * len(y) and count the images, then divide":
        "배치마다 크기가 다를 수 있습니다. loss.item() * len(y)를 더하고 이미지 수를 센 다음 나누세요.",
    "total += loss_fn(model(x), y).item() * len(y); count += len(y); after the loop return total / count":
        "total += loss_fn(model(x), y).item() * len(y); count += len(y)로 더하고, 반복문이 끝나면 total / count를 반환하세요.",
    "nn.Linear(a, b) holds a weight matrix (b, a) and b biases":
        "nn.Linear(a, b)에는 (b, a) 가중치 행렬과 편향 b개가 있습니다.",
    "for each pair of neighbouring sizes a, b add a * b + b":
        "이웃한 두 크기 a, b마다 a * b + b를 더하세요.",
    "return sum(a * b + b for a, b in zip(sizes, sizes[1:]))":
        "sum(a * b + b for a, b in zip(sizes, sizes[1:]))을 반환하세요.",
    "bytes = numbers x bytes per number; p.element_size() gives the bytes of one number of p":
        "바이트 수 = 숫자 개수 x 숫자 하나의 바이트 수입니다. p.element_size()가 p의 숫자 하나의 바이트 수입니다.",
    "return sum(p.numel() * p.element_size() for p in model.parameters()) / 10**6":
        "sum(p.numel() * p.element_size() for p in model.parameters()) / 10**6을 반환하세요.",
    "each weight is used once per image, in one multiply and one add: one multiply-add":
        "가중치 하나는 이미지 한 장에 한 번, 곱셈 한 번과 덧셈 한 번에 쓰입니다. 곧 곱셈-덧셈 한 번입니다.",
    "return sum(a * b for a, b in zip(sizes, sizes[1:])): the biases are additions only":
        "sum(a * b for a, b in zip(sizes, sizes[1:]))을 반환하세요. 편향은 덧셈만 합니다.",
    "each of the out_channels filters covers all in_channels, with k x k weights each, and has one bias":
        "out_channels개의 필터는 각각 모든 in_channels를 덮고 채널마다 k x k개의 가중치가 있으며, 편향이 하나씩 있습니다.",
    "return out_channels * in_channels * kernel_size * kernel_size + out_channels":
        "out_channels * in_channels * kernel_size * kernel_size + out_channels를 반환하세요.",
    "the output has one channel per filter; each output pixel is one window times one filter, summed":
        "출력에는 필터마다 채널이 하나 있습니다. 출력 픽셀 하나는 윈도 하나와 필터 하나를 곱해 더한 값입니다.",
    "loop over o, i, j: out[o, i, j] = (x[:, i:i+kh, j:j+kw] * weight[o]).sum() + bias[o]":
        "o, i, j에 대해 반복하면서 out[o, i, j] = (x[:, i:i+kh, j:j+kw] * weight[o]).sum() + bias[o]를 계산하세요.",
    "out = torch.empty(C_out, H - kh + 1, W - kw + 1), fill it with the three loops above, return out":
        "out = torch.empty(C_out, H - kh + 1, W - kw + 1)을 만들고 위의 삼중 반복문으로 채운 다음 out을 반환하세요.",
    "padding adds `padding` pixels on both sides; then count the window positions, one every `stride`":
        "패딩(padding)은 양쪽에 `padding`개의 픽셀을 더합니다. 그다음 `stride`마다 하나씩 윈도 위치를 세세요.",
    "return (size + 2 * padding - kernel) // stride + 1":
        "(size + 2 * padding - kernel) // stride + 1을 반환하세요.",
    "the windows do not overlap: window (i, j) starts at row i * size, column j * size":
        "윈도는 겹치지 않습니다. 윈도 (i, j)는 i * size 행, j * size 열에서 시작합니다.",
    "out[i, j] = fmap[i*size:(i+1)*size, j*size:(j+1)*size].max(), for i < H // size and j < W // size":
        "i < H // size, j < W // size에 대해 out[i, j] = fmap[i*size:(i+1)*size, j*size:(j+1)*size].max()입니다.",
    "out = torch.empty(H // size, W // size), fill it with the two loops above, return out":
        "out = torch.empty(H // size, W // size)를 만들고 위의 이중 반복문으로 채운 다음 out을 반환하세요.",
    "a line holds the path, a TAB, and the label id; paths may contain spaces":
        "한 줄에는 경로, TAB, 라벨 id가 있습니다. 경로에는 공백이 들어갈 수 있습니다.",
    "path, label = line.rstrip('\\n').split('\\t')":
        "path, label = line.rstrip('\\n').split('\\t')",
    "return path, int(label)":
        "path, int(label)을 반환하세요.",
    "open self.samples[index]'s path with PIL, gray and resized; then a float tensor (1, H, W) in [0, 1]":
        "self.samples[index]의 경로를 PIL로 열어 흑백으로 바꾸고 크기를 조정한 다음, [0, 1] 범위의 (1, H, W) float 텐서로 만드세요.",
    "Image.open(path).convert('L').resize((W, H)): PIL sizes are (width, height)":
        "Image.open(path).convert('L').resize((W, H))를 쓰세요. PIL의 크기는 (너비, 높이) 순서입니다.",
    "x = torch.from_numpy(np.array(image)).float().div(255).unsqueeze(0); return x, torch.tensor(label, dtype=torch.float32)":
        "x = torch.from_numpy(np.array(image)).float().div(255).unsqueeze(0)로 만들고 "
        "x, torch.tensor(label, dtype=torch.float32)를 반환하세요.",
    "the model gives (B, 1); BCEWithLogitsLoss wants (B,), the labels' shape":
        "모델의 출력은 (B, 1)인데, BCEWithLogitsLoss는 라벨과 같은 (B,) 모양을 원합니다.",
    "remove dimension 1 only: a batch of one image must stay (1,)":
        "1번 차원만 없애세요. 이미지 한 장짜리 배치는 (1,) 모양으로 남아야 합니다.",
    "return output.squeeze(1)":
        "output.squeeze(1)을 반환하세요.",
    "the old model.fc tells you how many inputs the new layer needs: model.fc.in_features":
        "새 층에 필요한 입력 수는 기존 model.fc의 in_features(model.fc.in_features)가 알려 줍니다.",
    "model.fc = nn.Linear(model.fc.in_features, num_classes); then return model":
        "model.fc = nn.Linear(model.fc.in_features, num_classes)로 바꾼 다음 model을 반환하세요.",
    "every parameter has requires_grad; model.named_parameters() gives each one's name too":
        "모든 파라미터에는 requires_grad가 있습니다. model.named_parameters()는 각 파라미터의 이름도 알려 줍니다.",
    "set p.requires_grad = False for every name that does not start with 'fc.'":
        "이름이 'fc.'로 시작하지 않는 파라미터마다 p.requires_grad = False로 두세요.",
    "for name, p in model.named_parameters(): p.requires_grad = name.startswith('fc.'); then return model":
        "for name, p in model.named_parameters(): p.requires_grad = name.startswith('fc.')로 쓴 다음 model을 반환하세요.",
    "go over model.parameters() and keep the ones with p.requires_grad":
        "model.parameters()를 하나씩 보면서 p.requires_grad인 것만 남기세요.",
    "return sum(p.numel() for p in model.parameters() if p.requires_grad)":
        "sum(p.numel() for p in model.parameters() if p.requires_grad)를 반환하세요.",
    "the predicted class is logits.argmax(dim=1); a mistake is where it differs from labels":
        "예측한 클래스는 logits.argmax(dim=1)입니다. 이것이 labels와 다른 곳이 틀린 곳입니다.",
    "return (logits.argmax(dim=1) != labels).float().mean().item()":
        "(logits.argmax(dim=1) != labels).float().mean().item()을 반환하세요.",
}
