// The texts of the form engine, English message ids (the server's own where it says the same thing) with their
// Vietnamese. The app passes its own `t` (its catalogue) to renderSurvey; without one, translatorFor(language)
// uses this table. Placeholders are Python's %(name)s, as in the server's catalogue.

/** Fill %(name)s placeholders; the English text itself. */
export function identity(message, values = {}) {
  return message.replace(/%\((\w+)\)s/g, (whole, key) => (Object.hasOwn(values, key) ? String(values[key]) : whole));
}

export const VIETNAMESE = {
  // answer checks (surveys/answers.py)
  "A note takes no answer.": "Mục ghi chú không nhận câu trả lời.",
  "Must be text.": "Phải là văn bản.",
  "At most %(limit)s characters.": "Tối đa %(limit)s ký tự.",
  "Must be a whole number.": "Phải là số nguyên.",
  "Is too large.": "Số quá lớn.",
  "Must be a number.": "Phải là một số.",
  "Must be a finite number of at most 10^15.": "Phải là số hữu hạn, không quá 10^15.",
  "Must be true or false.": "Phải là đúng (true) hoặc sai (false).",
  "Must be one of: %(choices)s.": "Phải là một trong các giá trị: %(choices)s.",
  "Must be a list of choice names.": "Phải là danh sách tên các lựa chọn.",
  "Not choices of this question: %(unknown)s (choices: %(choices)s).":
    "Không phải lựa chọn của câu hỏi này: %(unknown)s (các lựa chọn: %(choices)s).",
  "Lists a choice twice.": "Có một lựa chọn bị lặp lại.",
  "Must be a date as YYYY-MM-DD.": "Phải là ngày theo dạng YYYY-MM-DD.",
  'Must be {"lat": .., "lon": ..} (altitude and accuracy optional).':
    'Phải có dạng {"lat": .., "lon": ..} (độ cao và độ chính xác không bắt buộc).',
  "lat, lon, altitude and accuracy must be numbers.":
    "lat, lon, độ cao (altitude) và độ chính xác (accuracy) phải là số.",
  "Not a real position: lat from -90 to 90, lon from -180 to 180, not (0, 0).":
    "Không phải vị trí thật: lat từ -90 đến 90, lon từ -180 đến 180, và không phải (0, 0).",
  "accuracy cannot be negative.": "độ chính xác (accuracy) không được là số âm.",
  "Must be a time as HH:MM or HH:MM:SS.": "Phải là giờ theo dạng HH:MM hoặc HH:MM:SS.",
  "Must be a date and time in ISO 8601 with its offset (e.g. 2025-03-01T08:30:00+07:00).":
    "Phải là ngày giờ theo ISO 8601 kèm múi giờ (ví dụ 2025-03-01T08:30:00+07:00).",
  'Must be {"points": [[lon, lat], ...]} with real positions.':
    'Phải có dạng {"points": [[lon, lat], ...]} với các vị trí thật.',
  "A shape needs at least 4 points.": "Một vùng cần ít nhất 4 điểm.",
  "A line needs at least 2 points.": "Một đường cần ít nhất 2 điểm.",
  "A shape must end at its first point.": "Vùng phải khép kín: điểm cuối trùng điểm đầu.",
  "Must be the file name of the photo.": "Phải là tên tệp của ảnh.",
  "Must be true (acknowledged).": "Phải được xác nhận (true).",
  "Must be from %(start)s to %(end)s in steps of %(step)s.": "Phải từ %(start)s đến %(end)s, mỗi bước %(step)s.",
  "Must list every choice once, in order: %(choices)s.": "Phải xếp thứ tự đủ mỗi lựa chọn một lần: %(choices)s.",
  "Must be text, a number, or true or false.": "Phải là văn bản, một số, hoặc đúng/sai.",
  "Unknown question type.": "Loại câu hỏi không xác định.",
  " (it is inside repeat %(repeat)s)": " (câu hỏi này nằm trong phần lặp %(repeat)s)",
  "Not a question here%(where)s.": "Không phải câu hỏi ở đây%(where)s.",
  "Must be left empty: this question does not apply (%(condition)s).":
    "Phải để trống: câu hỏi này không áp dụng (%(condition)s).",
  "Must be left empty: this part does not apply (%(condition)s).":
    "Phải để trống: phần này không áp dụng (%(condition)s).",
  "An answer is required.": "Bắt buộc phải trả lời.",
  "Does not meet the condition: %(condition)s": "Không đáp ứng điều kiện: %(condition)s",
  "Must be a list of objects.": "Phải là danh sách các đối tượng.",
  "At most %(limit)s entries.": "Tối đa %(limit)s mục.",
  "Answers are an object keyed by question name.": "Câu trả lời phải là một đối tượng theo tên câu hỏi.",
  // the form on the screen
  Add: "Thêm",
  "Add an entry": "Thêm một mục",
  Remove: "Xóa",
  "Remove this entry": "Xóa mục này",
  "Entry %(number)s": "Mục %(number)s",
  "Take the position": "Lấy vị trí",
  "Taking the position…": "Đang lấy vị trí…",
  "Position: %(lat)s, %(lon)s (± %(accuracy)s m)": "Vị trí: %(lat)s, %(lon)s (± %(accuracy)s m)",
  "No position: %(reason)s": "Không lấy được vị trí: %(reason)s",
  "This phone cannot give its position.": "Điện thoại này không cung cấp được vị trí.",
  "Add the current position": "Thêm vị trí hiện tại",
  "Remove the last point": "Xóa điểm cuối",
  "%(count)s point(s)": "%(count)s điểm",
  "Clear": "Xóa hết",
  "Take a photo": "Chụp ảnh",
  "Photo: %(name)s": "Ảnh: %(name)s",
  "Move up": "Chuyển lên",
  "Keep this order": "Giữ thứ tự này",
  "Move down": "Chuyển xuống",
  Yes: "Có",
  No: "Không",
  "I acknowledge": "Tôi xác nhận",
  Other: "Khác",
  "Other (specify)": "Khác (ghi rõ)",
  "Not answered": "Chưa trả lời",
  "required": "bắt buộc",
  "This question has an error.": "Câu hỏi này có lỗi.",
};

/** A `t` for the engine's own texts in `language` ("vi" or anything else for English). */
export function translatorFor(language) {
  const vietnamese = typeof language === "string" && language.toLowerCase().startsWith("vi");
  return (message, values = {}) => identity(vietnamese && VIETNAMESE[message] ? VIETNAMESE[message] : message, values);
}
